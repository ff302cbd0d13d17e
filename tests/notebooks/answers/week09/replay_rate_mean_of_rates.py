"""Wrong (a mean of rates): Spark's processed rows per second, averaged over the batches."""

EXERCISE = "replay_rate"
EXPECT = "❌"
KEYWORDS = ("mean of the batches' own rates",)


def replay_rate(batches):
    return float(batches["processed_rows_per_s"].mean())
