"""Week 4: the same trips produced twice — what the windows count, and what dropDuplicatesWithinWatermark fixes."""

from __future__ import annotations

import pandas as pd

from lab.pipeline import produce, stream, topics


def produce_twice(topic: str, accepted: pd.DataFrame, rejected: pd.DataFrame) -> str:
    """A fresh `topic` (and its DLQ) holding every trip twice, as a re-run producer leaves it (same trip_id)."""
    topics.delete_topics([topic, f"{topic}-dlq"])
    topics.ensure_topics(topic, f"{topic}-dlq")
    for _attempt in (1, 2):
        produce.produce_frame(accepted, rejected, topic=topic, dlq=f"{topic}-dlq", progress=False)
    return topic


def trips(spark, topic: str, watermark: str):
    """The topic's trips decoded by the lab's job (trip_id, pickup_ts, zone_id), with the watermark."""
    from pyspark.sql import functions as F

    return (
        stream.decoded(spark, stream.Job(topic=topic, name=f"{topic.replace('-', '_')}_decoded"))
        .where("reason IS NULL")
        .select("trip_id", F.timestamp_micros("pickup_us").alias("pickup_ts"), F.col("pu_location_id").alias("zone_id"))
        .withWatermark("pickup_ts", watermark)
    )


def count_per_window(spark, trips, window: str, name: str) -> pd.DataFrame:
    """Trips per (zone, window) of a streaming DataFrame, run over what the topic holds into a memory table."""
    from pyspark.sql import functions as F

    counts = trips.groupBy(F.window("pickup_ts", window).alias("w"), "zone_id").agg(F.count("*").alias("trips"))
    query = (
        counts.select(F.col("w.start").alias("window_start"), "zone_id", "trips")
        .writeStream.format("memory")
        .queryName(name)
        .outputMode("complete")
        .trigger(availableNow=True)
        .start()
    )
    query.awaitTermination()
    return spark.table(name).toPandas()
