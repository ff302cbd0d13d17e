"""Wrong (the datasource by name): Grafana's old string form, which the provisioned dashboard cannot resolve."""

from _panel import WHERE, panel_of

EXERCISE = "panel"
EXPECT = "❌"
KEYWORDS = ("datasource is a dict",)


def fare_panel():
    panel = panel_of(f"SELECT borough, fare_avg, window_start FROM kappa.borough_windows {WHERE}")
    return {**panel, "datasource": "Cassandra"}
