"""Raises: the rows are dicts, read as attributes."""

EXERCISE = "heaviest"
EXPECT = "❌"
KEYWORDS = ("AttributeError", "heaviest_raises.py")


def heaviest_service(rows):
    return max(rows, key=lambda r: r.rss).name
