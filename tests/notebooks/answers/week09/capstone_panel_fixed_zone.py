"""Wrong (variables): the zone written into the query, so the panel ignores the dashboard's selection."""

from _panel import panel

EXERCISE = "duration_panel"
EXPECT = "❌"
KEYWORDS = ("zone", "variables")


def duration_panel():
    return panel(
        "SELECT zone_id, duration_avg_s, window_start FROM kappa.zone_durations_v1 WHERE zone_id = 132 "
        "AND day IN (${day:singlequote}) AND window_start >= $__timeFrom AND window_start <= $__timeTo"
    )
