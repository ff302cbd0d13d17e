"""Wrong (event time of the wrong column): windows and watermark of dropoff_ts."""

from _solution import read_trips, run_to_memory, windows_of  # noqa: F401 - the exercise's other functions

EXERCISE = "streaming_windows"
EXPECT = "❌"
KEYWORDS = ("windows are of dropoff_ts",)


def zone_windows(trips, window, watermark):
    return windows_of(trips, "dropoff_ts", window, "dropoff_ts", watermark)
