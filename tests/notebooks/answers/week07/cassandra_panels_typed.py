"""Wrong (read off the dashboard and typed in): right for the pipeline dashboard, for no other."""

EXERCISE = "cassandra_panels"
EXPECT = "❌"
KEYWORDS = ("made-up dashboard", "missing")


def cassandra_panel_titles(dash):
    return ["Quarantined records by reason"]
