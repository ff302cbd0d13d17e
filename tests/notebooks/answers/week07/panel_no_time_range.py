"""Wrong (the time picker ignored): no window_start bounds."""

from _panel import panel_of

EXERCISE = "panel"
EXPECT = "❌"
KEYWORDS = ("time picker",)


def fare_panel():
    return panel_of(
        "SELECT borough, fare_avg, window_start FROM kappa.borough_windows "
        "WHERE borough IN (${borough:singlequote}) AND day IN (${day:singlequote})"
    )
