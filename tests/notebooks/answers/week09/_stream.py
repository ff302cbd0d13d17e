"""The notebook's duration windows with the window length and the watermark as parameters."""

from pyspark.sql import functions as F
from pyspark.sql.avro.functions import from_avro

import lab


def windows(spark, topic, schema, length="5 minutes", watermark="10 minutes"):
    raw = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", lab.kafka.bootstrap_servers())
        .option("subscribe", topic)
        .option("startingOffsets", "earliest")
        .load()
    )
    trips = raw.select(from_avro(F.expr("substring(value, 6, length(value) - 5)"), schema).alias("t")).select("t.*")
    if watermark:
        trips = trips.withWatermark("pickup_ts", watermark)
    return (
        trips.groupBy(F.col("pu_location_id").alias("zone_id"), F.window("pickup_ts", length).alias("w"))
        .agg(F.count("*").alias("trips"), F.sum("duration_s").alias("duration_total_s"))
        .select(
            "zone_id",
            F.col("w.start").alias("window_start"),
            F.col("w.end").alias("window_end"),
            "trips",
            "duration_total_s",
            (F.col("duration_total_s") / F.col("trips")).alias("duration_avg_s"),
        )
    )
