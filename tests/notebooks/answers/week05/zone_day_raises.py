"""Raises: the parameters as a string (a TypeError inside the learner's function)."""

EXERCISE = "zone_day"
EXPECT = "❌"
KEYWORDS = ("raised",)


def zone_day_query(zone, day):
    return "SELECT * FROM kappa.zone_windows WHERE zone_id = %s AND day = %s", (zone + "", day)
