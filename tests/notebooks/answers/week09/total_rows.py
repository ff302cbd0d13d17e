"""Wrong (rows, not trips): the number of window rows."""

EXERCISE = "total"
EXPECT = "❌"
KEYWORDS = ("number of window rows",)


def total_trips(windows):
    return len(windows)
