"""Wrong (another percentile): quantile(0.9)."""

EXERCISE = "p95"
EXPECT = "❌"
KEYWORDS = ("90th percentile",)


def p95(delays):
    return float(delays.quantile(0.9))
