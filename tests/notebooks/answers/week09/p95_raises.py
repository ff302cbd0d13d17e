"""Raises: a percent where pandas takes a fraction."""

EXERCISE = "p95"
EXPECT = "❌"
KEYWORDS = ("ValueError", "p95_raises.py")


def p95(delays):
    return float(delays.quantile(95))
