"""Wrong (read off the demo's table and typed in): right for the notebook's demo, a constant for any other."""

EXERCISE = "really_dropped"
EXPECT = "❌"
KEYWORDS = ("made-up demo", "not it")


def really_dropped(demo):
    return 3
