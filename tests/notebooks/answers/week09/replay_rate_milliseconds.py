"""Wrong (units): rows per millisecond."""

EXERCISE = "replay_rate"
EXPECT = "❌"
KEYWORDS = ("factor of 1000", "milliseconds")


def replay_rate(batches):
    return batches["input_rows"].sum() / batches["batch_ms"].sum()
