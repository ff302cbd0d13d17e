"""Wrong (no watermark): sessions without withWatermark, which append mode refuses."""

from _solution import sliding_counts  # noqa: F401 - the exercise's other function
from pyspark.sql import functions as F

EXERCISE = "window_kinds"
EXPECT = "❌"
KEYWORDS = ("activity_sessions has no watermark", "append mode")


def activity_sessions(trips, gap, watermark):
    return (
        trips.groupBy(F.session_window("pickup_ts", gap).alias("s"), F.col("pu_location_id").alias("zone_id"))
        .agg(F.count("*").alias("trips"))
        .select("zone_id", F.col("s.start").alias("window_start"), F.col("s.end").alias("window_end"), "trips")
    )
