"""Wrong (quoting): the values without the single quotes ${var:singlequote} adds."""

EXERCISE = "interpolated"
EXPECT = "❌"
KEYWORDS = ("single quotes",)


def trips_cql():
    return (
        "SELECT borough, trips, window_start FROM kappa.borough_windows WHERE borough IN (Manhattan) "
        "AND day IN (2021-01-01) AND window_start >= 1609459200000 AND window_start <= 1609545600000"
    )
