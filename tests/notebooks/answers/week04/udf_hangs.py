"""Hangs: a loop in the driver that never ends."""

EXERCISE = "trimmed_fares"
EXPECT = "❌"
KEYWORDS = ("did not return within",)
TIMEOUT_S = 5


def zone_trimmed_fares(trips):
    n = 1
    while n > 0:
        n += 1
    return trips
