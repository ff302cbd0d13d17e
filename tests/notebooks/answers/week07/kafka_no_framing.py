"""Wrong (no framing): plain to_avro bytes, no magic byte and schema id."""

from _solution import ANOMALY_SCHEMA, COLUMNS, register, to_kafka
from pyspark.sql import functions as F
from pyspark.sql.avro.functions import to_avro

EXERCISE = "anomalies_to_kafka"
EXPECT = "❌"
KEYWORDS = ("Confluent header", "byte 0")


def anomalies_to_kafka(anomalies, topic, checkpoint):
    register(topic)
    values = anomalies.select(to_avro(F.struct(*COLUMNS), ANOMALY_SCHEMA).alias("value"))
    return to_kafka(values, topic, checkpoint)
