"""Wrong (the wrong column): passengers summed."""

EXERCISE = "total"
EXPECT = "❌"
KEYWORDS = ("20 trips", "13")


def total_trips(windows):
    return int(windows["passengers"].sum())
