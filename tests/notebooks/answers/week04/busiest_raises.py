"""Raises: a column that zw does not have."""

EXERCISE = "busiest"
EXPECT = "❌"
KEYWORDS = ("KeyError", "count", "busiest_raises.py")


def busiest_window(zw):
    top = zw.sort_values("count", ascending=False).iloc[0]
    return top["zone_id"], top["window_start"], top["count"]
