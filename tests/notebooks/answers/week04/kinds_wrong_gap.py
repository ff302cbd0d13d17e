"""Wrong (the wrong gap): sessions with the window's 10 minutes instead of the `gap` argument."""

from _solution import sliding_counts  # noqa: F401 - the exercise's other function
from pyspark.sql import functions as F

EXERCISE = "window_kinds"
EXPECT = "❌"
KEYWORDS = ("gap of 10 minutes", "not 5 minutes")


def activity_sessions(trips, gap, watermark):
    return (
        trips.withWatermark("pickup_ts", watermark)
        .groupBy(F.session_window("pickup_ts", "10 minutes").alias("s"), F.col("pu_location_id").alias("zone_id"))
        .agg(F.count("*").alias("trips"))
        .select("zone_id", F.col("s.start").alias("window_start"), F.col("s.end").alias("window_end"), "trips")
    )
