"""Wrong (units): the time range in epoch seconds."""

EXERCISE = "interpolated"
EXPECT = "❌"
KEYWORDS = ("milliseconds",)
ABSENT = ("1609459200000",)  # the ❌ does not hand out the answer


def trips_cql():
    return (
        "SELECT borough, trips, window_start FROM kappa.borough_windows WHERE borough IN ('Manhattan') "
        "AND day IN ('2021-01-01') AND window_start >= 1609459200 AND window_start <= 1609545600"
    )
