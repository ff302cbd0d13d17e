"""Right, written differently: zone_id IN (…), the conditions in another order, the panel built by a helper."""

from _panel import panel

EXERCISE = "duration_panel"
EXPECT = "✅"
KEYWORDS = ("duration_avg_s", "windows")


def duration_panel():
    return panel(
        "SELECT zone_id, duration_avg_s, window_start FROM kappa.zone_durations_v1 WHERE day IN (${day:singlequote}) "
        "AND zone_id IN (${zone}) AND window_start <= $__timeTo AND window_start >= $__timeFrom"
    )
