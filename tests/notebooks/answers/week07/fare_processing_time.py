"""Wrong (processing-time timeout): it waits 30 minutes of wall clock, not of the trips' times."""

from _solution import anomalies_of

EXERCISE = "fare_anomalies"
EXPECT = "❌"
KEYWORDS = ("processing-time", "EventTimeTimeout")


def fare_anomalies(trips, factor, min_trips, quiet, watermark):
    return anomalies_of(trips, factor, min_trips, quiet, watermark, timeout="processing")
