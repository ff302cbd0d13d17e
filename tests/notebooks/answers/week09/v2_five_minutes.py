"""Wrong (window length): v1's 5-minute windows written into the v2 table."""

from _solution import save, v2_rows

EXERCISE = "reprocess_v2"
EXPECT = "❌"
KEYWORDS = ("5 minutes", "10 minutes")


def reprocess_v2(spark, topic, schema, table):
    save(v2_rows(spark, topic, schema, length="5 minutes"), table)
