"""The notebook's solutions, imported by the answers that vary one function of an exercise only."""

import requests
from pyspark.sql import functions as F
from pyspark.sql.avro.functions import from_avro

import lab


def read_trips(spark, topic: str):
    url = lab.schema_registry.registry_url()
    schema = requests.get(f"{url}/subjects/{topic}-value/versions/latest", timeout=10).json()["schema"]
    raw = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", lab.kafka.bootstrap_servers())
        .option("subscribe", topic)
        .option("startingOffsets", "earliest")
        .load()
    )
    body = F.expr("substring(value, 6, length(value) - 5)")
    return raw.select(from_avro(body, schema).alias("t")).select("t.*")


def windows_of(trips, column, length, watermark_column, delay):
    """zone_windows with each part chosen (None: no watermark)."""
    if watermark_column:
        trips = trips.withWatermark(watermark_column, delay)
    return (
        trips.groupBy(F.window(column, length).alias("w"), F.col("pu_location_id").alias("zone_id"))
        .agg(
            F.count("*").alias("trips"),
            F.sum("fare_amount").alias("fare_total"),
            F.sum("total_amount").alias("revenue_total"),
        )
        .select(F.col("w.start").alias("window_start"), "zone_id", "trips", "fare_total", "revenue_total")
    )


def run_to_memory(windows, name: str):
    query = windows.writeStream.format("memory").queryName(name).outputMode("complete").trigger(availableNow=True)
    query.start().awaitTermination()
    return lab.spark.session().table(name).toPandas()


def upsert_into(table: str):
    def upsert(batch, batch_id):
        (
            batch.withColumn("day", F.to_date("window_start"))
            .write.format("org.apache.spark.sql.cassandra")
            .options(keyspace="kappa", table=table)
            .mode("append")
            .save()
        )

    return upsert


def sliding_counts(trips, size, slide, watermark):
    return (
        trips.withWatermark("pickup_ts", watermark)
        .groupBy(F.window("pickup_ts", size, slide).alias("w"), F.col("pu_location_id").alias("zone_id"))
        .agg(F.count("*").alias("trips"))
        .select("zone_id", F.col("w.start").alias("window_start"), F.col("w.end").alias("window_end"), "trips")
    )


def activity_sessions(trips, gap, watermark):
    return (
        trips.withWatermark("pickup_ts", watermark)
        .groupBy(F.session_window("pickup_ts", gap).alias("s"), F.col("pu_location_id").alias("zone_id"))
        .agg(F.count("*").alias("trips"))
        .select("zone_id", F.col("s.start").alias("window_start"), F.col("s.end").alias("window_end"), "trips")
    )
