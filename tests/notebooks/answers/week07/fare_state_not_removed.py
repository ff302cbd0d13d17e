"""Wrong (state not removed): the timeout fires, but the zone's state is kept."""

from _solution import anomalies_of

EXERCISE = "fare_anomalies"
EXPECT = "❌"
KEYWORDS = ("state.remove()",)


def fare_anomalies(trips, factor, min_trips, quiet, watermark):
    return anomalies_of(trips, factor, min_trips, quiet, watermark, remove=False)
