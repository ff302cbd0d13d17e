"""Hangs: a query without availableNow, awaited before returning."""

from _solution import ANOMALY_SCHEMA, COLUMNS, register
from pyspark.sql import functions as F
from pyspark.sql.avro.functions import to_avro

import lab

EXERCISE = "anomalies_to_kafka"
EXPECT = "❌"
KEYWORDS = ("did not return within",)
TIMEOUT_S = 15


def anomalies_to_kafka(anomalies, topic, checkpoint):
    header = F.lit(bytes([0]) + register(topic).to_bytes(4, "big"))
    values = anomalies.select(F.concat(header, to_avro(F.struct(*COLUMNS), ANOMALY_SCHEMA)).alias("value"))
    query = (
        values.writeStream.format("kafka")
        .option("kafka.bootstrap.servers", lab.kafka.bootstrap_servers())
        .option("topic", topic)
        .option("checkpointLocation", checkpoint)
        .start()
    )
    query.awaitTermination()
    return query
