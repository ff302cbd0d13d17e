"""Wrong (the worst case): the largest delay."""

EXERCISE = "p95"
EXPECT = "❌"
INJECT = "p95"  # also run in the week's notebook: Run All goes on
KEYWORDS = ("largest delay",)


def p95(delays):
    return float(delays.max())
