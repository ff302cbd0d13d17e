"""Wrong (the watermark argument ignored): a 5-minute watermark drops a trip that is late but within 10 minutes."""

from _solution import read_trips, run_to_memory, windows_of  # noqa: F401 - the exercise's other functions

EXERCISE = "streaming_windows"
EXPECT = "❌"
KEYWORDS = ("watermark waits 5 minutes", "12:23")


def zone_windows(trips, window, watermark):
    return windows_of(trips, "pickup_ts", window, "pickup_ts", "5 minutes")
