"""Raises: a column the batches table does not have."""

EXERCISE = "replay_rate"
EXPECT = "❌"
KEYWORDS = ("KeyError", "replay_rate_raises.py")


def replay_rate(batches):
    return batches["rows"].sum() / batches["batch_ms"].sum() * 1000
