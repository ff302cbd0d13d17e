"""Raises: applyInPandasWithState without its output mode."""

EXERCISE = "fare_anomalies"
EXPECT = "❌"
KEYWORDS = ("Your code raised", "TypeError")


def fare_anomalies(trips, factor, min_trips, quiet, watermark):
    return trips.groupBy("pu_location_id").applyInPandasWithState(lambda k, f, s: f, "x int", "n long")
