"""Raises: a typo in the CQL (Cassandra's SyntaxException)."""

from _solution import hourly_revenue, upsert_hourly  # noqa: F401 - the exercise's other functions

EXERCISE = "borough_table"
EXPECT = "❌"
KEYWORDS = ("raised", "borough_raises.py")


def create_borough_hourly(session):
    session.execute("CREATE TABEL kappa.borough_revenue_hourly (borough text PRIMARY KEY)")
