"""Wrong (no time range): every trip matches every surge of its zone, whenever it was on."""

from _solution import join_of

EXERCISE = "surge_join"
EXPECT = "❌"
KEYWORDS = ("time-range condition", "12:12×s1")


def surge_trips(trips, surges, watermark, duration):
    return join_of(trips, surges, watermark, duration, ranged=False)
