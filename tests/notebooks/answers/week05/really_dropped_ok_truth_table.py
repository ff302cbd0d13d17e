"""Right, written differently: the trips sent in every step minus those the last windows count."""

EXERCISE = "really_dropped"
EXPECT = "✅"
KEYWORDS = ("trips dropped", "numRowsDroppedByWatermark")


def really_dropped(demo):
    sent = sum(len(step["sent"]) for step in demo.steps)
    return sent - int(demo.steps[-1]["windows"]["trips"].sum())
