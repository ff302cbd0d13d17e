"""Raises: every panel assumed to have a datasource dict (a row has none)."""

EXERCISE = "cassandra_panels"
EXPECT = "❌"
KEYWORDS = ("KeyError", "cassandra_panels_raises.py")


def cassandra_panel_titles(dash):
    return [p["title"] for p in dash["panels"] if p["datasource"]["type"].endswith("cassandra-datasource")]
