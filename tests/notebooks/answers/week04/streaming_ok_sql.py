"""Right, written differently: the registry's client for the schema, Column.substr, SQL expressions for the window
and the sums, update mode into the memory sink."""

from confluent_kafka.schema_registry import SchemaRegistryClient
from pyspark.sql import functions as F
from pyspark.sql.avro.functions import from_avro

import lab

EXERCISE = "streaming_windows"
EXPECT = "✅"
KEYWORDS = ("equal to lab.truth", "dropped by the watermark")


def read_trips(spark, topic):
    client = SchemaRegistryClient({"url": lab.schema_registry.registry_url()})
    schema = client.get_latest_version(f"{topic}-value").schema.schema_str
    kafka = (
        spark.readStream.format("kafka")
        .options(**{"kafka.bootstrap.servers": lab.kafka.bootstrap_servers(), "subscribe": topic})
        .option("startingOffsets", "earliest")
        .load()
    )
    body = F.col("value").substr(F.lit(6), F.length("value") - 5)
    return kafka.select(from_avro(body, schema).alias("trip")).select("trip.*")


def zone_windows(trips, window, watermark):
    marked = trips.withWatermark("pickup_ts", watermark)
    return (
        marked.groupBy(F.expr(f"window(pickup_ts, '{window}')"), F.col("pu_location_id"))
        .agg(
            F.expr("count(1) AS trips"),
            F.expr("sum(fare_amount) AS fare_total"),
            F.expr("sum(total_amount) AS revenue_total"),
        )
        .selectExpr("window.start AS window_start", "pu_location_id AS zone_id", "trips", "fare_total", "revenue_total")
    )


def run_to_memory(windows, name):
    query = windows.writeStream.outputMode("update").format("memory").queryName(name)
    running = query.trigger(availableNow=True).start()
    running.awaitTermination(300)
    return lab.spark.session().sql(f"SELECT * FROM {name}").toPandas()
