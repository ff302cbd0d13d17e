"""Raises: the panel's datasource read from a dict that does not have it."""

from _panel import WHERE, panel_of

EXERCISE = "panel"
EXPECT = "❌"
KEYWORDS = ("KeyError", "panel_raises.py")


def fare_panel():
    sources = {"prometheus": {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}}
    panel = panel_of(f"SELECT borough, fare_avg, window_start FROM kappa.borough_windows {WHERE}")
    return {**panel, "datasource": sources["cassandra"]}
