"""Wrong (unbounded partition): the partition key is the borough alone."""

from _solution import TABLE, hourly_revenue, upsert_hourly  # noqa: F401 - the exercise's other functions

EXERCISE = "borough_table"
EXPECT = "❌"
KEYWORDS = ("partition key (borough)", "grows")
ABSENT = ("(borough, day)), so a partition",)


def create_borough_hourly(session):
    session.execute(TABLE.format(key="borough"))
