"""Wrong (rows not opened): only the top-level panels, so a collapsed row's panels are missed."""

EXERCISE = "cassandra_panels"
EXPECT = "❌"
KEYWORDS = ("collapsed row",)


def cassandra_panel_titles(dash):
    return [p["title"] for p in dash["panels"] if "cassandra" in (p.get("datasource") or {}).get("type", "")]
