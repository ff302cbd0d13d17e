"""Wrong (another column): the structure copied from a trips panel, trips drawn instead of fare_avg."""

from _panel import WHERE, panel_of

EXERCISE = "panel"
EXPECT = "❌"
KEYWORDS = ("they are trips",)


def fare_panel():
    return panel_of(f"SELECT borough, trips, window_start FROM kappa.borough_windows {WHERE}")
