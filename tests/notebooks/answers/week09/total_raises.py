"""Raises: attribute access on a column that does not exist."""

EXERCISE = "total"
EXPECT = "❌"
KEYWORDS = ("AttributeError", "total_raises.py")


def total_trips(windows):
    return int(windows.trip_count.sum())
