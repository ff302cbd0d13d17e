"""Wrong (column): the summed duration drawn instead of the mean."""

from _panel import panel

EXERCISE = "duration_panel"
EXPECT = "❌"
KEYWORDS = ("duration_total_s", "duration_avg_s")


def duration_panel():
    return panel(
        "SELECT zone_id, duration_total_s, window_start FROM kappa.zone_durations_v1 WHERE zone_id = ${zone} "
        "AND day IN (${day:singlequote}) AND window_start >= $__timeFrom AND window_start <= $__timeTo"
    )
