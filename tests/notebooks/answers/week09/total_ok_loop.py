"""Right, written differently: a loop over the rows."""

EXERCISE = "total"
EXPECT = "✅"
KEYWORDS = ("lost and doubled nothing",)


def total_trips(windows):
    n = 0
    for row in windows.itertuples():
        n += int(row.trips)
    return n
