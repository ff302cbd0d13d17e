"""Raises: a column that is not in the record (Spark's AnalysisException)."""

from _solution import save, v2_rows

EXERCISE = "reprocess_v2"
EXPECT = "❌"
KEYWORDS = ("raised", "pickup_time")


def reprocess_v2(spark, topic, schema, table):
    save(v2_rows(spark, topic, schema, time_column="pickup_time"), table)
