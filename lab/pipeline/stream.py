"""The Spark job: taxi-trips (Kafka, Confluent-framed Avro) → 5-minute windows per zone and borough → Cassandra.

One streaming query `<name>` decodes every record once: records that cannot be used go to
kappa.quarantine straight from the decoding task (a keyed, idempotent side output, lab.sink.Quarantine);
accepted trips are aggregated (event time = pickup_ts, watermark, tumbling windows, update mode) and
upserted with foreachBatch. Run it from Python (`start`), as `lab stream`, or as a separate driver
process: `lab stream --trigger availableNow` (spark-submit: `lab stream --print-submit`). This module builds and
starts the job; what `start` returns (lab.running.Running: progress, offsets, failures) is lab.running's.
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

from lab import config
from lab.errors import LabError
from lab.pipeline import data, decode, fastpath, schemas, sink
from lab.pipeline.running import Running
from lab.services import kafka, schema_registry
from lab.services import spark as lab_spark

log = logging.getLogger(__name__)

WINDOW = "5 minutes"
WATERMARK = "10 minutes"
# processing-time trigger ("availableNow" or "once" for bounded runs). A trip waits half an interval on average for
# the next micro-batch, then the batch's own ~0.5 s (2 cores, 2,000 trips/s): p50 ≈ 1 s with "1 second", ≈ 0.85 s
# with 750 ms; back to back ("0 seconds") costs more per trip than it saves (docs/performance.md).
TRIGGER = "750 milliseconds"
QUERY = "trip_windows"
# Kafka's consumer keeps a fetch waiting at the log end for fetch.max.wait.ms (500 ms by default); the next
# micro-batch's task then waits for it before it can fetch: ~0.5 s per task wave, measured. 20 ms removes it.
FETCH_MAX_WAIT_MS = 20
# records one micro-batch reads at most (maxOffsetsPerTrigger), also when a replay or a restart catches up a long
# backlog: the driver's heap (lab.spark.DRIVER_MEMORY) is sized to hold such a batch (bench/streaming.py replay)
MAX_BATCH = 500_000


@dataclass(frozen=True)
class Job:
    """Settings of one run of the streaming job (all have lab defaults)."""

    topic: str = config.TRIPS_TOPIC
    window: str = WINDOW
    watermark: str = WATERMARK
    trigger: str = TRIGGER
    starting_offsets: str = "earliest"
    max_offsets_per_trigger: int | None = MAX_BATCH  # None: no cap
    name: str = QUERY
    checkpoint_root: str | None = None  # default: <LAB_HOME>/checkpoints
    quarantine: bool = True  # write unusable records to kappa.quarantine (cassandra sink only)
    source_tasks: int | None = 2  # Spark tasks reading Kafka per batch (coalesced partitions); None: one each
    sink: str = "cassandra"  # "cassandra", or "memory" to only look at the rows
    base_url: str | None = None  # TLC base URL of the zone lookup (default: config.tlc_base_url())
    allow_data_loss: bool = False  # go on past offsets that are gone (skipped, counted, logged), not fail

    def checkpoint(self, query: str) -> Path:
        return checkpoint_root(self.checkpoint_root) / query

    def checkpoint_location(self, query: str) -> str:
        """What Spark gets as checkpointLocation: a folder, or a URI under an object-store root (s3a://bucket/…)."""
        if self.checkpoint_root and "://" in self.checkpoint_root:
            return f"{self.checkpoint_root.rstrip('/')}/{query}"
        return str(self.checkpoint(query))


def checkpoint_root(root: str | Path | None = None) -> Path:
    """Where the queries' checkpoints are: `root`, or <LAB_HOME>/checkpoints."""
    return Path(root) if root else config.lab_home() / "checkpoints"


def registry_url() -> str:

    return schema_registry.registry_url()


def bootstrap_servers() -> str:

    return kafka.bootstrap_servers()


def raw(spark, job: Job):
    """The Kafka source: key, value, topic, partition, offset, timestamp …"""
    reader = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", bootstrap_servers())
        .option("subscribe", job.topic)
        .option("startingOffsets", job.starting_offsets)
        .option("failOnDataLoss", "false" if job.allow_data_loss else "true")
        .option("kafka.fetch.max.wait.ms", str(FETCH_MAX_WAIT_MS))
    )
    if job.max_offsets_per_trigger:
        reader = reader.option("maxOffsetsPerTrigger", str(job.max_offsets_per_trigger))
    df = reader.load()
    # one task per Kafka partition costs a Python round trip each; on a 2-core laptop, 2 tasks decode as fast
    return df.coalesce(job.source_tasks) if job.source_tasks else df


def raw_batch(spark, topic: str = config.TRIPS_TOPIC, limit: int = 5):
    """The first records of a topic as a batch DataFrame (key, value, topic, partition, offset, timestamp)."""
    return (
        spark.read.format("kafka")
        .option("kafka.bootstrap.servers", bootstrap_servers())
        .option("subscribe", topic)
        .option("startingOffsets", "earliest")
        .load()
        .limit(limit)
    )


def decoded(spark, job: Job, quarantine=None, zones=None, reader_id: int | None = None):
    """Every Kafka record decoded: trip columns, or a quarantine reason (lab.decode in mapInPandas).

    With `quarantine` (a lab.sink.Quarantine), only the usable trips come out, with the columns the
    windows need (decode.TRIP_FIELDS, kafka_us, kafka_ts, `reason` null), and the records that have a reason are written
    there by the decoding task. Spark's own Avro reader takes the certainly good records of the schema ids
    registered at start (lab.fastpath); lab.decode, in a pandas UDF, decodes and judges all others. `zones` (the zone
    lookup) and `reader_id` (the reader schema's id) come from start(); alone, this reads and registers them itself.
    """
    from pyspark.sql import functions as F

    zones = data.zones(job.base_url) if zones is None else zones
    url, zone_ids = registry_url(), set(int(z) for z in zones["LocationID"])
    src = raw(spark, job).select("value", "topic", "partition", "offset", F.unix_micros("timestamp").alias("kafka_us"))
    if quarantine is None:
        return src.mapInPandas(
            lambda batches: decode.decode_batches(batches, url, zone_ids), decode.SPARK_SCHEMA
        ).withColumn("kafka_ts", F.timestamp_micros("kafka_us"))

    # a decoding task believes a 404 only from a registry that has loaded its schemas (decode.registry_lookup)
    rescue = F.pandas_udf(fastpath.rescue(url, zone_ids, quarantine, schema_registry.ready_url()), decode.TRIP_SCHEMA)
    reader_id = register_reader() if reader_id is None else reader_id
    df = fastpath.spark_trips(src, fastpath.fast_ids(config.subject(job.topic), reader_id, url), zone_ids)
    slow = rescue.asNondeterministic()(
        *[F.when(~F.col("fast"), F.col(c)) for c in ("value", "topic", "partition", "offset", "kafka_us")]
    )
    fast = {
        "pickup_us": F.unix_micros(F.col("t.pickup_ts")),
        **{c: F.col(f"t.{c}") for c in decode.TRIP_FIELDS if c != "pickup_us"},
    }
    df = df.withColumn("slow", slow).observe(  # progress → observedMetrics: how many records took which path
        f"{job.name}_decode", F.count(F.lit(1)).alias("records"), F.sum(F.col("fast").cast("int")).alias("by_spark")
    )
    return df.where(F.col("fast") | F.col("slow.pickup_us").isNotNull()).select(
        *[F.when(F.col("fast"), fast[c]).otherwise(F.col(f"slow.{c}")).alias(c) for c in decode.TRIP_FIELDS],
        "kafka_us",
        F.lit(None).cast("string").alias("reason"),
        F.timestamp_micros("kafka_us").alias("kafka_ts"),
    )


def register_reader() -> int:
    """The reader schema's id: registering it tells the id before any producer has written (one schema, one id)."""

    return schemas.register(config.READER_SUBJECT, json.loads(decode.READER_SCHEMA.read_text()), registry_url())


def windows(spark, job: Job, zones=None, reader_id: int | None = None):
    """The streaming aggregate: one row per (window, borough, zone) and per (window, borough), gid 0 / 1.

    `zones` and `reader_id` as start() hands them over (read once per job); alone, it reads them itself."""
    from pyspark.sql import functions as F

    zones = data.zones(job.base_url) if zones is None else zones

    side = sink.Quarantine.for_target() if job.quarantine and job.sink == "cassandra" else None
    trips = (
        decoded(spark, job, side, zones, reader_id)
        .where(F.col("reason").isNull())
        .select(
            F.timestamp_micros("pickup_us").alias("pickup_ts"),
            "pu_location_id",
            "passenger_count",
            "fare_amount",
            "tip_amount",
            "trip_distance",
            "total_amount",
            "kafka_ts",
        )
        .withWatermark("pickup_ts", job.watermark)
    )
    return aggregate(spark, trips, job.window, view=f"{job.name}_trips", base_url=job.base_url, zones=zones)


def aggregate(spark, trips, window: str = WINDOW, view: str = "lab_trips", base_url: str | None = None, zones=None):
    """Tumbling-window aggregates of trips (pickup_ts, pu_location_id int, amounts, kafka_ts), streaming or batch.

    Boroughs are joined from the zone lookup; grouping sets give zone rows (gid 0) and borough
    rows (gid 1) in one pass. The batch reference of bench/streaming.py runs the very same query.
    """
    from pyspark.sql import functions as F

    zones = data.zones(base_url) if zones is None else zones
    borough = dict(zip(zones["LocationID"].astype(int), zones["Borough"]))
    trips.withColumn("borough", sink.lookup_map(F.col("pu_location_id"), borough)).createOrReplaceTempView(view)
    w = f"window(pickup_ts, '{window}')"
    return spark.sql(f"""
        SELECT {w} AS w, borough, pu_location_id AS zone_id, grouping_id() AS gid,
               count(*) AS trips, sum(coalesce(passenger_count, 0)) AS passengers,
               sum(fare_amount) AS fare_total, sum(trip_distance) AS distance_total,
               sum(CASE WHEN fare_amount > 0 THEN 1 ELSE 0 END) AS tip_trips,
               sum(CASE WHEN fare_amount > 0 THEN 100 * tip_amount / fare_amount END) AS tip_pct_sum,
               sum(total_amount) AS revenue_total, max(kafka_ts) AS last_kafka_ts
        FROM {view}
        GROUP BY GROUPING SETS (({w}, borough, pu_location_id), ({w}, borough))""")


def _trigger(writer, trigger: str):
    if trigger == "availableNow":
        return writer.trigger(availableNow=True)
    if trigger == "once":
        return writer.trigger(once=True)
    return writer.trigger(processingTime=trigger)


def start(job: Job | None = None, spark=None, listeners=(), **settings) -> Running:
    """Start the job's queries on the lab's SparkSession; `listeners` are StreamingQueryListeners to attach.

    Keyword settings override Job fields, e.g. ``start(trigger="availableNow", watermark="1 hour")``.
    """

    job = replace(job or Job(), **settings)
    spark = spark or lab_spark.start()
    for listener in listeners:
        spark.streams.addListener(listener)
    if job.allow_data_loss:
        log.warning(
            "DATA LOSS ALLOWED: query %s goes on past offsets of topic %s that are gone (a deleted or "
            "recreated topic, retention) instead of failing; the trips there are never read. Each skip is "
            "in Running.skipped_offsets(), and logged and counted in lab_spark_source_offsets_skipped by "
            "the lab's metrics listener (lab.metrics.attach; `lab stream` attaches it)",
            job.name,
            job.topic,
        )

    running = Running(job)
    zones = data.zones(job.base_url)  # once per job: the decoder's zone ids, the boroughs, the sink's zone names
    agg = windows(spark, job, zones, register_reader())
    writer = agg.writeStream.queryName(job.name).outputMode("update")
    writer = writer.option("checkpointLocation", job.checkpoint_location(job.name))
    if job.sink == "memory":
        writer = writer.format("memory")
    else:
        writer = writer.foreachBatch(sink.window_writer(job.base_url, zones))
    running.queries[job.name] = _trigger(writer, job.trigger).start()
    return running


def reset(job: Job | None = None) -> None:
    """Delete the job's checkpoints: the next start reads the topic again from `starting_offsets`."""
    job = job or Job()
    if job.checkpoint_location(job.name) != str(job.checkpoint(job.name)):
        raise LabError(
            f"the checkpoint {job.checkpoint_location(job.name)} is in an object store: delete it with the store's "
            "own tools (e.g. `aws s3 rm --recursive`), then start the job again"
        )
    shutil.rmtree(job.checkpoint(job.name), ignore_errors=True)


def source_topics(checkpoint: Path) -> set[str]:
    """The Kafka topics a query's checkpoint holds offsets of (its initial offsets and its latest batch)."""
    files = sorted((checkpoint / "sources").glob("*/0"))
    batches = [f for f in (checkpoint / "offsets").glob("*") if f.name.isdigit()]
    if batches:
        files.append(max(batches, key=lambda f: int(f.name)))
    found: set[str] = set()
    for f in files:
        try:
            lines = f.read_bytes().decode("utf-8", "replace").splitlines()
        except OSError:
            continue
        for line in lines:  # "v1", the batch metadata, then one JSON line per source: {"topic": {"0": 12, ...}}
            try:
                offsets = json.loads(line.strip("\x00 "))
            except ValueError:
                continue
            if isinstance(offsets, dict):
                found.update(
                    t
                    for t, parts in offsets.items()
                    if isinstance(parts, dict) and all(isinstance(o, int) for o in parts.values())
                )
    return found


def reset_topic(topic: str, root: str | Path | None = None) -> list[Path]:
    """Delete the checkpoints (under `root`, default <LAB_HOME>/checkpoints) of every query that reads `topic`.

    Call it when the topic is deleted or recreated: its offsets start again at 0, and a checkpoint of the old
    log would skip or misread the new one (lab.topics does it). Returns the deleted checkpoint folders.
    """
    base = checkpoint_root(root)
    gone = [cp for cp in sorted(base.iterdir()) if cp.is_dir() and topic in source_topics(cp)] if base.is_dir() else []
    for cp in gone:
        shutil.rmtree(cp, ignore_errors=True)
        log.info("topic %s was recreated: deleted the checkpoint %s of the query that read it", topic, cp)
    return gone
