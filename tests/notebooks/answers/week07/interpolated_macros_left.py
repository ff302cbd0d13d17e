"""Wrong (not substituted): the macros left for the plugin."""

EXERCISE = "interpolated"
EXPECT = "❌"
KEYWORDS = ("$__timeFrom", "substitutes")


def trips_cql():
    return (
        "SELECT borough, trips, window_start FROM kappa.borough_windows WHERE borough IN ('Manhattan') "
        "AND day IN ('2021-01-01') AND window_start >= $__timeFrom AND window_start <= $__timeTo"
    )
