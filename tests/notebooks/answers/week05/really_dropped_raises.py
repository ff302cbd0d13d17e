"""Raises: steps is a list, not a dict."""

EXERCISE = "really_dropped"
EXPECT = "❌"
KEYWORDS = ("TypeError", "really_dropped_raises.py")


def really_dropped(demo):
    return len(demo.steps["2: late"]["sent"])
