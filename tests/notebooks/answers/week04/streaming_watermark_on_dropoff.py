"""Wrong (watermark on the wrong column): withWatermark on dropoff_ts, windows of pickup_ts."""

from _solution import read_trips, run_to_memory, windows_of  # noqa: F401 - the exercise's other functions

EXERCISE = "streaming_windows"
EXPECT = "❌"
KEYWORDS = ("watermark is on dropoff_ts",)


def zone_windows(trips, window, watermark):
    return windows_of(trips, "pickup_ts", window, "dropoff_ts", watermark)
