"""Wrong (no watermark): the late trips are counted."""

from _solution import read_trips, run_to_memory, windows_of  # noqa: F401 - the exercise's other functions

EXERCISE = "streaming_windows"
EXPECT = "❌"
KEYWORDS = ("no watermark", "12:03")


def zone_windows(trips, window, watermark):
    return windows_of(trips, "pickup_ts", window, None, None)
