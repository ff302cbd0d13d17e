"""Right, written differently: the time converted first, then rows per second."""

EXERCISE = "replay_rate"
EXPECT = "✅"
KEYWORDS = ("trips/s",)


def replay_rate(batches):
    seconds = (batches["batch_ms"] / 1000).sum()
    return float(batches["input_rows"].sum()) / seconds
