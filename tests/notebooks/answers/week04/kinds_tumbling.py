"""Wrong (tumbling instead of sliding): F.window(ts, size) without the slide."""

from _solution import activity_sessions  # noqa: F401 - the exercise's other function
from pyspark.sql import functions as F

EXERCISE = "window_kinds"
EXPECT = "❌"
KEYWORDS = ("tumbling windows of 10 minutes", "slide")


def sliding_counts(trips, size, slide, watermark):
    return (
        trips.withWatermark("pickup_ts", watermark)
        .groupBy(F.window("pickup_ts", size).alias("w"), F.col("pu_location_id").alias("zone_id"))
        .agg(F.count("*").alias("trips"))
        .select("zone_id", F.col("w.start").alias("window_start"), F.col("w.end").alias("window_end"), "trips")
    )
