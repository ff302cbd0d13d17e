"""Right, written differently: the schema registered with confluent-kafka's SchemaRegistryClient, the header built in
SQL from the id."""

from _solution import ANOMALY_SCHEMA, COLUMNS, anomalies_of, to_kafka  # noqa: F401 - fare_anomalies uses anomalies_of
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from pyspark.sql import functions as F
from pyspark.sql.avro.functions import to_avro

import lab

EXERCISE = "anomalies_to_kafka"
EXPECT = "✅"
KEYWORDS = ("2 records", "reads back")


def fare_anomalies(trips, factor, min_trips, quiet, watermark):
    return anomalies_of(trips, factor, min_trips, quiet, watermark)


def anomalies_to_kafka(anomalies, topic, checkpoint):
    client = SchemaRegistryClient({"url": lab.schema_registry.registry_url()})
    schema_id = client.register_schema(f"{topic}-value", Schema(ANOMALY_SCHEMA, "AVRO"))
    header = F.unhex(F.lit(f"00{schema_id:08x}"))
    values = anomalies.select(
        F.lit(None).cast("string").alias("key"),
        F.concat(header, to_avro(F.struct(*COLUMNS), ANOMALY_SCHEMA)).alias("value"),
    )
    return to_kafka(values, topic, checkpoint)
