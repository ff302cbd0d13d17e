"""Wrong (LIMIT): only the newest five windows of the partition."""

EXERCISE = "zone_day"
EXPECT = "❌"
KEYWORDS = ("no LIMIT",)


def zone_day_query(zone, day):
    return "SELECT window_start, trips FROM kappa.zone_windows WHERE zone_id = %s AND day = %s LIMIT 5", (zone, day)
