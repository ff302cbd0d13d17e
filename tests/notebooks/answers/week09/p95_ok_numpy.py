"""Right, written differently: numpy's percentile (linear interpolation by default)."""

import numpy as np

EXERCISE = "p95"
EXPECT = "✅"
KEYWORDS = ("p95 freshness",)


def p95(delays):
    return float(np.percentile(delays.to_numpy(), 95))
