"""Raises: a column that does not exist."""

from _solution import activity_sessions  # noqa: F401 - the exercise's other function
from pyspark.sql import functions as F

EXERCISE = "window_kinds"
EXPECT = "❌"
KEYWORDS = ("pickup_time",)


def sliding_counts(trips, size, slide, watermark):
    return trips.withWatermark("pickup_ts", watermark).groupBy(F.window("pickup_time", size, slide)).count()
