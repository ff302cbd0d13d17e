"""Wrong (the wrong key): sliding windows per drop-off zone."""

from _solution import activity_sessions  # noqa: F401 - the exercise's other function
from pyspark.sql import functions as F

EXERCISE = "window_kinds"
EXPECT = "❌"
KEYWORDS = ("drop-off zone", "pu_location_id")


def sliding_counts(trips, size, slide, watermark):
    return (
        trips.withWatermark("pickup_ts", watermark)
        .groupBy(F.window("pickup_ts", size, slide).alias("w"), F.col("do_location_id").alias("zone_id"))
        .agg(F.count("*").alias("trips"))
        .select("zone_id", F.col("w.start").alias("window_start"), F.col("w.end").alias("window_end"), "trips")
    )
