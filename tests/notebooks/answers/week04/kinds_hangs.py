"""Hangs: a loop that never ends."""

from _solution import activity_sessions  # noqa: F401 - the exercise's other function

EXERCISE = "window_kinds"
EXPECT = "❌"
KEYWORDS = ("did not return within",)
TIMEOUT_S = 5


def sliding_counts(trips, size, slide, watermark):
    starts = []
    while len(starts) >= 0:
        starts.append(slide)
    return starts
