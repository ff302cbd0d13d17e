"""Right, written differently: SELECT * with named parameters' order, the day as a date."""

import datetime

EXERCISE = "zone_day"
EXPECT = "✅"
KEYWORDS = ("one partition",)


def zone_day_query(zone, day):
    return "SELECT * FROM kappa.zone_windows WHERE day = %s AND zone_id = %s", (datetime.date.fromisoformat(day), zone)
