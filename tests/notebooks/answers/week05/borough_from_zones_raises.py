"""Raises: groupby on a column name with a typo."""

EXERCISE = "borough_from_zones"
EXPECT = "❌"
KEYWORDS = ("KeyError", "windowstart", "borough_from_zones_raises.py")


def borough_from_zones(zw, borough):
    return zw[zw["borough"] == borough].groupby("windowstart", as_index=False)["trips"].sum()
