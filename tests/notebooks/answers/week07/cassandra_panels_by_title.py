"""Wrong (by title): panels whose title mentions Cassandra or a table."""

EXERCISE = "cassandra_panels"
EXPECT = "❌"
KEYWORDS = ("not by the title",)


def cassandra_panel_titles(dash):
    words = ("cassandra", "quarantine", "window", "table")
    return [p["title"] for p in dash["panels"] if any(w in p["title"].lower() for w in words)]
