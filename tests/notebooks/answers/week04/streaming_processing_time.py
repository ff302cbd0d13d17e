"""Wrong (processing-time windows): windows of current_timestamp(), the time the rows are read."""

from _solution import read_trips, run_to_memory, windows_of  # noqa: F401 - the exercise's other functions
from pyspark.sql import functions as F

EXERCISE = "streaming_windows"
EXPECT = "❌"
KEYWORDS = ("processing time", "pickup_ts")


def zone_windows(trips, window, watermark):
    return windows_of(trips.withColumn("seen", F.current_timestamp()), "seen", window, "pickup_ts", watermark)
