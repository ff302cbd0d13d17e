"""Wrong (key): the trips joined by their drop-off zone."""

from _solution import join_of

EXERCISE = "surge_join"
EXPECT = "❌"
KEYWORDS = ("pickup zone", "s2")


def surge_trips(trips, surges, watermark, duration):
    return join_of(trips, surges, watermark, duration, key="do_location_id")
