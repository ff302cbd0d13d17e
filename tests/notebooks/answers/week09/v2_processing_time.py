"""Wrong (processing time): windows of the Kafka timestamp (when the record was written), not of pickup_ts."""

from _solution import save, v2_rows

EXERCISE = "reprocess_v2"
EXPECT = "❌"
KEYWORDS = ("processing time", "pickup_ts")


def reprocess_v2(spark, topic, schema, table):
    save(v2_rows(spark, topic, schema, time_column="kafka_ts"), table)
