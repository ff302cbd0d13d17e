"""Wrong (the metric): numRowsDroppedByWatermark, which counts state rows (one per group key), not trips."""

EXERCISE = "really_dropped"
EXPECT = "❌"
KEYWORDS = ("numRowsDroppedByWatermark", "not trips")


def really_dropped(demo):
    return int(demo.metrics()["dropped_by_watermark"].sum())
