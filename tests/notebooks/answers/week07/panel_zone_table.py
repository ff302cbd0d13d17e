"""Wrong (the table): zone_windows has fare_avg too, but per zone; its partition key is (zone_id, day)."""

from _panel import panel_of

EXERCISE = "panel"
EXPECT = "❌"
KEYWORDS = ("kappa.borough_windows",)


def fare_panel():
    return panel_of(
        "SELECT borough, fare_avg, window_start FROM kappa.zone_windows WHERE borough IN (${borough:singlequote}) "
        "AND day IN (${day:singlequote}) AND window_start >= $__timeFrom AND window_start <= $__timeTo"
    )
