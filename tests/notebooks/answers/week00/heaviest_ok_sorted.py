"""Right, written differently: sorted by rss, missing values last."""

EXERCISE = "heaviest"
EXPECT = "✅"
KEYWORDS = ("uses the most memory",)


def heaviest_service(rows):
    return sorted(rows, key=lambda r: -(r.get("rss") or 0))[0]["name"]
