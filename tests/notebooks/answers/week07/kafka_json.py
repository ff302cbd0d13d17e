"""Wrong (JSON): to_json instead of Avro."""

from _solution import COLUMNS, register, to_kafka
from pyspark.sql import functions as F

EXERCISE = "anomalies_to_kafka"
EXPECT = "❌"
KEYWORDS = ("JSON", "to_avro")


def anomalies_to_kafka(anomalies, topic, checkpoint):
    register(topic)
    return to_kafka(anomalies.select(F.to_json(F.struct(*COLUMNS)).alias("value")), topic, checkpoint)
