"""The notebook's v2 job with its time column and window length as parameters (for the answers that change them)."""

from pyspark.sql import functions as F
from pyspark.sql.avro.functions import from_avro

import lab


def v2_rows(spark, topic, schema, time_column="pickup_ts", length="10 minutes"):
    raw = (
        spark.read.format("kafka")
        .option("kafka.bootstrap.servers", lab.kafka.bootstrap_servers())
        .option("subscribe", topic)
        .option("startingOffsets", "earliest")
        .option("endingOffsets", "latest")
        .load()
    )
    body = F.expr("substring(value, 6, length(value) - 5)")
    trips = raw.select(from_avro(body, schema).alias("t"), F.col("timestamp").alias("kafka_ts")).select(
        "t.*", "kafka_ts"
    )
    zones = lab.data.zones().rename(columns={"LocationID": "zone_id", "Zone": "zone", "Borough": "borough"})
    lookup = spark.createDataFrame(zones[["zone_id", "zone", "borough"]])
    paid = F.col("fare_amount") > 0
    return (
        trips.groupBy(F.window(time_column, length).alias("w"), F.col("pu_location_id").alias("zone_id"))
        .agg(
            F.count("*").alias("trips"),
            F.sum(F.coalesce("passenger_count", F.lit(0))).cast("long").alias("passengers"),
            F.sum("fare_amount").alias("fare_total"),
            F.sum("trip_distance").alias("distance_total"),
            F.count(F.when(paid, 1)).alias("tip_trips"),
            F.avg(F.when(paid, 100 * F.col("tip_amount") / F.col("fare_amount"))).alias("tip_pct_avg"),
            F.sum("total_amount").alias("revenue_total"),
            F.max("kafka_ts").alias("last_kafka_ts"),
        )
        .join(lookup, "zone_id")
        .select(
            "*",
            F.col("w.start").alias("window_start"),
            F.col("w.end").alias("window_end"),
            F.to_date("w.start").alias("day"),
            (F.col("fare_total") / F.col("trips")).alias("fare_avg"),
            (F.col("distance_total") / F.col("trips")).alias("distance_avg"),
            F.current_timestamp().alias("written_at"),
        )
        .drop("w")
    )


def save(rows, table):
    rows.write.format("org.apache.spark.sql.cassandra").options(keyspace="kappa", table=table).mode("append").save()
