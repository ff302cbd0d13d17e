"""Wrong (the lightest): min for max."""

EXERCISE = "heaviest"
EXPECT = "❌"
KEYWORDS = ("is not the largest",)


def heaviest_service(rows):
    return min((r for r in rows if r.get("rss")), key=lambda r: r["rss"])["name"]
