"""Wrong (window length): 10-minute windows hard-coded instead of the `window` argument."""

from _solution import read_trips, run_to_memory, windows_of  # noqa: F401 - the exercise's other functions

EXERCISE = "streaming_windows"
EXPECT = "❌"
KEYWORDS = ("10 minutes long", "window")


def zone_windows(trips, window, watermark):
    return windows_of(trips, "pickup_ts", "10 minutes", "pickup_ts", watermark)
