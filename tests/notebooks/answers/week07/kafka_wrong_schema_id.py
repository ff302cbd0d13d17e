"""Wrong (schema id): the header carries id 1, not the one the registry answered."""

from _solution import ANOMALY_SCHEMA, COLUMNS, register, to_kafka
from pyspark.sql import functions as F
from pyspark.sql.avro.functions import to_avro

EXERCISE = "anomalies_to_kafka"
EXPECT = "❌"
KEYWORDS = ("schema id [1]", "registered")


def anomalies_to_kafka(anomalies, topic, checkpoint):
    register(topic)
    header = F.lit(bytes([0, 0, 0, 0, 1]))
    values = anomalies.select(F.concat(header, to_avro(F.struct(*COLUMNS), ANOMALY_SCHEMA)).alias("value"))
    return to_kafka(values, topic, checkpoint)
