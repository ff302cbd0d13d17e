"""Wrong (every late trip): the late step's trips, though some of them were counted."""

EXERCISE = "really_dropped"
EXPECT = "❌"
KEYWORDS = ("every late trip sent", "counted")


def really_dropped(demo):
    return len(demo.steps[-1]["sent"])
