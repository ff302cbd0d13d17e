"""Wrong (the series id): the timestamp first, so the plugin names the series by time, not by borough."""

from _panel import WHERE, panel_of

EXERCISE = "panel"
EXPECT = "❌"
KEYWORDS = ("not boroughs", "first column")


def fare_panel():
    return panel_of(f"SELECT window_start, borough, fare_avg FROM kappa.borough_windows {WHERE}")
