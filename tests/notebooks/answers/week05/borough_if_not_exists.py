"""Wrong (not an upsert): INSERT … IF NOT EXISTS keeps what an earlier run wrote."""

from _solution import create_borough_hourly, hourly_revenue  # noqa: F401 - the exercise's other functions

EXERCISE = "borough_table"
EXPECT = "❌"
KEYWORDS = ("IF NOT EXISTS", "not an upsert")


def upsert_hourly(session, rows):
    insert = session.prepare(
        "INSERT INTO kappa.borough_revenue_hourly (borough, day, hour, trips, revenue_total) VALUES (?, ?, ?, ?, ?) "
        "IF NOT EXISTS"
    )
    for r in rows.itertuples(index=False):
        session.execute(insert, (r.borough, r.day, r.hour.to_pydatetime(), int(r.trips), float(r.revenue_total)))
