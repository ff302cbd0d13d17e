"""Hangs: a loop that never ends before the query is built."""

EXERCISE = "fare_anomalies"
EXPECT = "❌"
KEYWORDS = ("did not return within",)
TIMEOUT_S = 5


def fare_anomalies(trips, factor, min_trips, quiet, watermark):
    n = 0
    while n >= 0:
        n += 1
