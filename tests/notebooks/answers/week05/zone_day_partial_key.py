"""Wrong (a partial key): only the zone; Cassandra refuses and advises ALLOW FILTERING, which the lab forbids."""

EXERCISE = "zone_day"
EXPECT = "❌"
KEYWORDS = ("whole partition key", "forbids")
ABSENT = ("raised",)


def zone_day_query(zone, day):
    return "SELECT window_start, trips FROM kappa.zone_windows WHERE zone_id = %s AND window_start >= %s", (zone, day)
