"""Wrong (averaged): the mean of the zones' trips per window."""

EXERCISE = "borough_from_zones"
EXPECT = "❌"
INJECT = "borough_from_zones"  # also run in the week's notebook: Run All goes on
KEYWORDS = ("average", "summed")


def borough_from_zones(zw, borough):
    return zw[zw["borough"] == borough].groupby("window_start", as_index=False)["trips"].mean()
