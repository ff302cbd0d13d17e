"""Wrong (no interpolation): the sorted delay at position int(0.95 n)."""

EXERCISE = "p95"
EXPECT = "❌"
KEYWORDS = ("interpolat",)


def p95(delays):
    ordered = sorted(delays)
    return float(ordered[int(0.95 * len(ordered))])
