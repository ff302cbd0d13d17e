"""Right, written differently: rows opened by hand, the datasource's type compared."""

EXERCISE = "cassandra_panels"
EXPECT = "✅"
KEYWORDS = ("Cassandra panel",)


def cassandra_panel_titles(dash):
    titles = []
    for panel in dash["panels"]:
        for p in panel.get("panels", []) if panel.get("type") == "row" else [panel]:
            if "cassandra" in (p.get("datasource") or {}).get("type", ""):
                titles.append(p["title"])
    return titles
