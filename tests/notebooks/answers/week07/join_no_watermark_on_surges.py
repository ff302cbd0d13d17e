"""Wrong (a watermark on the trips only): the matches are right, but run 1's trips stay in the join's state."""

from _solution import join_of

EXERCISE = "surge_join"
EXPECT = "❌"
KEYWORDS = ("state still holds", "no watermark on starts_at")
INJECT = "surge_trips"


def surge_trips(trips, surges, watermark, duration):
    return join_of(trips, surges, watermark, duration, both=False)
