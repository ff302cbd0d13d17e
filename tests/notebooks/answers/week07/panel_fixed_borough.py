"""Wrong (a fixed partition): Manhattan typed into the query, so the panel ignores the borough selection."""

from _panel import panel_of

EXERCISE = "panel"
EXPECT = "❌"
KEYWORDS = ("follows the selection", "borough")


def fare_panel():
    return panel_of(
        "SELECT borough, fare_avg, window_start FROM kappa.borough_windows WHERE borough IN ('Manhattan') "
        "AND day IN (${day:singlequote}) AND window_start >= $__timeFrom AND window_start <= $__timeTo"
    )
