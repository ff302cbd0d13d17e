"""Where the streaming job's micro-batches go: idempotent upserts into the Cassandra tables (connector, foreachBatch)."""
from __future__ import annotations

from datetime import datetime, timezone

from . import config

CASSANDRA = "org.apache.spark.sql.cassandra"
ZONE_COLS = ("zone_id", "day", "window_start", "window_end", "zone", "borough", "trips", "passengers", "fare_total",
             "fare_avg", "distance_total", "distance_avg", "tip_trips", "tip_pct_avg", "revenue_total",
             "last_kafka_ts", "written_at")
BOROUGH_COLS = tuple(c for c in ZONE_COLS if c not in ("zone_id", "zone"))
TOP_COLS = ("day", "window_start", "zone_id", "window_end", "zone", "borough", "trips", "revenue_total", "fare_avg",
            "written_at")
QUARANTINE_COLS = ("day", "topic", "kafka_partition", "kafka_offset", "reason", "detail", "schema_id", "kafka_ts",
                   "value", "quarantined_at")


def lookup_map(column, mapping: dict):
    """A Spark expression mapping a column through a small dict (e.g. zone id → borough)."""
    from itertools import chain

    from pyspark.sql import functions as F

    return F.create_map(*[F.lit(x) for x in chain(*mapping.items())])[column]


def window_rows(batch, zone_names: dict, written_at: datetime | None = None):
    """Aggregate rows → (zone rows, borough rows) with the columns of kappa.zone_windows / borough_windows."""
    from pyspark.sql import functions as F

    written_at = written_at or datetime.now(timezone.utc)
    base = (batch.withColumn("window_start", F.col("w.start")).withColumn("window_end", F.col("w.end"))
            .withColumn("day", F.to_date("window_start"))
            .withColumn("fare_avg", F.col("fare_total") / F.col("trips"))
            .withColumn("distance_avg", F.col("distance_total") / F.col("trips"))
            .withColumn("tip_pct_avg", F.when(F.col("tip_trips") > 0, F.col("tip_pct_sum") / F.col("tip_trips")))
            .withColumn("written_at", F.lit(written_at)))
    zone = base.where("gid = 0").withColumn("zone", lookup_map(F.col("zone_id"), zone_names))
    return zone, base.where("gid = 1")


def save(df, table: str) -> None:
    """Append (= upsert: Cassandra writes by primary key) a DataFrame to a kappa table with the connector."""
    df.write.format(CASSANDRA).options(keyspace=config.KEYSPACE, table=table).mode("append").save()


def window_writer():
    """The foreachBatch function of the windows query: one batch of updated windows → three tables.

    The batch holds the complete current aggregate of every window it changed (update mode), so
    writing it again after a crash overwrites the same rows with the same values.
    """
    from . import data

    zones = data.zones()
    names = dict(zip(zones["LocationID"].astype(int), zones["Zone"]))

    def write(batch, epoch_id: int) -> None:
        batch = batch.persist()
        try:
            if batch.count() == 0:        # materialises the cache once; no-data batches write nothing
                return
            zone, borough = window_rows(batch, names)
            save(zone.select(*ZONE_COLS), "zone_windows")
            save(zone.select(*TOP_COLS), "top_zones")
            save(borough.select(*BOROUGH_COLS), "borough_windows")
        finally:
            batch.unpersist()

    return write


def write_quarantine(batch, epoch_id: int) -> None:
    """The foreachBatch function of the quarantine query: keyed by (day, topic, partition, offset)."""
    from pyspark.sql import functions as F

    rows = (batch.withColumn("day", F.to_date("kafka_ts"))
            .withColumn("quarantined_at", F.lit(datetime.now(timezone.utc))).select(*QUARANTINE_COLS))
    save(rows, "quarantine")
