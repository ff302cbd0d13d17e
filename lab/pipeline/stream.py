"""The Spark job: taxi-trips (Kafka, Confluent-framed Avro) → 5-minute windows per zone and borough → Cassandra.

One streaming query `<name>` decodes every record once: records that cannot be used go to
kappa.quarantine straight from the decoding task (a keyed, idempotent side output, lab.sink.Quarantine);
accepted trips are aggregated (event time = pickup_ts, watermark, tumbling windows, update mode) and
upserted with foreachBatch. Run it from Python (`start`), as `lab stream`, or as a separate driver
process: `lab stream --trigger availableNow` (spark-submit: `lab stream --print-submit`).
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

from lab import config
from lab.errors import DataLost, LabError, StreamError
from lab.pipeline import data, decode, fastpath, schemas, sink
from lab.services import kafka, schema_registry
from lab.services import spark as lab_spark

log = logging.getLogger(__name__)

WINDOW = "5 minutes"
WATERMARK = "10 minutes"
TRIGGER = "1 second"  # processing-time trigger; "availableNow" or "once" for bounded runs
QUERY = "trip_windows"
# Kafka's consumer keeps a fetch waiting at the log end for fetch.max.wait.ms (500 ms by default); the next
# micro-batch's task then waits for it before it can fetch: ~0.5 s per task wave, measured. 20 ms removes it.
FETCH_MAX_WAIT_MS = 20


@dataclass(frozen=True)
class Job:
    """Settings of one run of the streaming job (all have lab defaults)."""

    topic: str = config.TRIPS_TOPIC
    window: str = WINDOW
    watermark: str = WATERMARK
    trigger: str = TRIGGER
    starting_offsets: str = "earliest"
    max_offsets_per_trigger: int | None = None
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


def why(exc) -> str:
    """A failed query's error, the lab's own message first (a worker's LabError is buried in Spark's traces)."""
    text = str(exc)
    ours = [line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("lab.errors.") and ": " in line]
    return (ours[-1] + "\n--- Spark's error ---\n" if ours else "") + text[:2000]


def source_offsets(value) -> dict[tuple[str, str], int]:
    """A Kafka source's offsets in a progress report ({"topic": {"0": 12}}, JSON text or parsed) by (topic, partition).

    >>> source_offsets('{"t": {"0": 12, "1": 3}}')
    {('t', '0'): 12, ('t', '1'): 3}
    """
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    if not isinstance(value, dict):
        return {}
    return {(t, str(p)): int(o) for t, parts in value.items() if isinstance(parts, dict) for p, o in parts.items()}


def skipped_offsets(progress) -> dict[str, int]:
    """Topic → offsets one micro-batch passed over unread (a progress dict or StreamingQueryProgress); only skips.

    Spark goes on past offsets that are gone only with failOnDataLoss=false. A partition whose end offset is
    below its start was recreated: the new log's first `end` offsets are never read. Otherwise the offsets
    between start and end that brought no row (numInputRows) had aged out.

    >>> skipped_offsets({"sources": [{"startOffset": {"t": {"0": 300, "1": 5}}, "endOffset": {"t": {"0": 100, "1": 9}},
    ...                                "numInputRows": 4}]})
    {'t': 100}
    >>> skipped_offsets({"sources": [{"startOffset": {"t": {"0": 5}}, "endOffset": {"t": {"0": 9}},
    ...                                "numInputRows": 1}]})
    {'t': 3}
    """
    sources = progress["sources"] if isinstance(progress, dict) else progress.sources
    out: dict[str, int] = {}
    for src in sources or []:
        get = src.get if isinstance(src, dict) else lambda k, s=src: getattr(s, k, None)
        start, end = source_offsets(get("startOffset")), source_offsets(get("endOffset"))
        if not start:  # the first batch starts at the initial offsets, which the progress does not show
            continue
        topics = sorted({t for t, _ in end})
        span = sum(off - start.get(key, 0) for key, off in end.items() if off >= start.get(key, 0))
        aged_out = max(0, span - int(get("numInputRows") or 0))
        for topic in topics:
            n = sum(off for (t, p), off in end.items() if t == topic and off < start.get((t, p), 0))
            n += aged_out if len(topics) == 1 else 0
            if n:
                out[topic] = out.get(topic, 0) + n
    return out


@dataclass
class Running:
    """The started queries of one job."""

    job: Job
    queries: dict = field(default_factory=dict)  # name → pyspark StreamingQuery

    @property
    def windows(self):
        return self.queries[self.job.name]

    def progress(self) -> list[dict]:
        """Recent progress reports of the windows query (dicts, newest last)."""
        return [p for p in self.windows.recentProgress]

    def watermark(self):
        """Spark's current event-time watermark (pandas Timestamp, naive UTC), or None before the first batch.

        Windows ending at or before it are final: pass it as `cutoff` to lab.truth.check while the job runs.
        """
        import pandas as pd

        marks = [p.get("eventTime", {}).get("watermark") for p in self.progress()]
        marks = [m for m in marks if m]
        return pd.Timestamp(marks[-1]).tz_convert(None) if marks else None

    def dropped_by_watermark(self) -> int:
        """Rows dropped as too late, summed over the recent progress reports."""
        return sum(
            op.get("numRowsDroppedByWatermark", 0) for p in self.progress() for op in p.get("stateOperators", [])
        )

    def decode_paths(self) -> dict[str, int]:
        """Records seen and records Spark's own Avro reader decoded, over the recent progress reports.

        The rest went to lab.decode (other schema ids, and everything not certainly good).
        """
        seen = [p.get("observedMetrics", {}).get(f"{self.job.name}_decode") for p in self.progress()]
        seen = [m for m in seen if m]
        return {
            "records": sum(int(m.get("records") or 0) for m in seen),
            "by_spark": sum(int(m.get("by_spark") or 0) for m in seen),
        }

    def skipped_offsets(self) -> int:
        """Offsets the query passed over unread because they were gone (only with allow_data_loss), recent reports."""
        return sum(n for p in self.progress() for n in skipped_offsets(p).values())

    def check(self) -> None:
        """Raise StreamError (DataLost when offsets are gone) if a query died."""
        for name, q in self.queries.items():
            exc = q.exception()
            if exc is not None:
                raise failure(name, self.job.topic, exc)

    def await_done(self, timeout: float = 300.0) -> Running:
        """Wait for bounded triggers (availableNow/once) to finish; StreamError on failure or timeout."""
        import time

        deadline = time.monotonic() + timeout
        for name, q in self.queries.items():
            left = max(0.1, deadline - time.monotonic())
            try:
                finished = q.awaitTermination(left)
            except Exception as exc:  # noqa: BLE001 - StreamingQueryException
                raise failure(name, self.job.topic, exc) from exc
            if not finished:
                raise StreamError(
                    f"streaming query {name} still running after {timeout:.0f}s "
                    f"(trigger {self.job.trigger!r}); last progress: {q.lastProgress}"
                )
        self.check()
        return self

    def process_all_available(self) -> Running:
        """Block until every query has processed what is in Kafka now (processing-time triggers)."""
        for name, q in self.queries.items():
            try:
                q.processAllAvailable()
            except Exception as exc:  # noqa: BLE001 - StreamingQueryException
                raise failure(name, self.job.topic, exc) from exc
        self.check()
        return self

    def stop(self) -> None:
        for q in self.queries.values():
            q.stop()


def failure(query: str, topic: str, exc) -> StreamError:
    """The lab's error for a query that died: DataLost when Kafka offsets it was to read are gone."""
    text = str(exc)
    if "failOnDataLoss" in text or "KAFKA_DATA_LOSS" in text or "data may have been" in text:
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        said = [line for line in lines if "offset" in line.lower() and "failOnDataLoss" not in line] or lines[:1]
        return DataLost(query, topic, said[0][:500])  # Spark's own advice (failOnDataLoss=false) is left out
    return StreamError(f"streaming query {query} failed: {why(exc)}")


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


def active() -> list:
    """The streaming queries running in the lab's SparkSession."""

    return list(lab_spark.session().streams.active) if lab_spark.running() else []
