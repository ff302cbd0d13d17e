"""Wrong (the wrong column): the zone's name compared with the borough."""

EXERCISE = "borough_from_zones"
EXPECT = "❌"
KEYWORDS = ("no rows", "borough")


def borough_from_zones(zw, borough):
    return zw[zw["zone"] == borough].groupby("window_start", as_index=False)["trips"].sum()
