"""Wrong (no timeout): the anomalies are right, but every zone's state is kept for ever."""

from _solution import anomalies_of

EXERCISE = "fare_anomalies"
EXPECT = "❌"
KEYWORDS = ("state still holds 3", "no timeout")


def fare_anomalies(trips, factor, min_trips, quiet, watermark):
    return anomalies_of(trips, factor, min_trips, quiet, watermark, timeout="none")
