"""Where the streaming job's micro-batches go: idempotent upserts into the Cassandra tables (connector, foreachBatch)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from lab import config
from lab.errors import ServiceNotReady, StreamError
from lab.pipeline import data
from lab.services import cassandra, spark
from lab.wait import port_open, until

CASSANDRA = "org.apache.spark.sql.cassandra"
ZONE_COLS = (
    "zone_id",
    "day",
    "window_start",
    "window_end",
    "zone",
    "borough",
    "trips",
    "passengers",
    "fare_total",
    "fare_avg",
    "distance_total",
    "distance_avg",
    "tip_trips",
    "tip_pct_avg",
    "revenue_total",
    "last_kafka_ts",
    "written_at",
)
BOROUGH_COLS = tuple(c for c in ZONE_COLS if c not in ("zone_id", "zone"))
TOP_COLS = (
    "day",
    "window_start",
    "zone_id",
    "window_end",
    "zone",
    "borough",
    "trips",
    "revenue_total",
    "fare_avg",
    "written_at",
)
QUARANTINE_COLS = (
    "day",
    "topic",
    "kafka_partition",
    "kafka_offset",
    "reason",
    "detail",
    "schema_id",
    "kafka_ts",
    "value",
    "quarantined_at",
)


def lookup_map(column, mapping: dict):
    """A Spark expression mapping a column through a small dict (e.g. zone id → borough).

    Built as one SQL map literal: one call into the JVM instead of one per key and value.
    """
    from pyspark.sql import functions as F

    def literal(x) -> str:
        if isinstance(x, str):
            return "'" + x.replace("\\", "\\\\").replace("'", "\\'") + "'"
        return repr(int(x))

    pairs = ", ".join(f"{literal(k)}, {literal(v)}" for k, v in mapping.items())
    return F.element_at(F.expr(f"map({pairs})"), column)


class WindowRows:
    """Aggregate rows → zone rows and borough rows, with exactly the columns of kappa.zone_windows / borough_windows.

    `zone_names` is a dict zone id → name, or a Column built from one with lookup_map. The column expressions are
    built once, here: each pyspark function call is a round trip into the JVM (and a class lookup there), and a
    streaming job makes the rows of every micro-batch with them (~25 ms per batch in the driver, measured).
    """

    def __init__(self, zone_names):
        from pyspark.sql import functions as F

        zone_name = zone_names if not isinstance(zone_names, dict) else lookup_map(F.col("zone_id"), zone_names)
        computed = {
            "window_start": F.col("w.start"),
            "window_end": F.col("w.end"),
            "day": F.to_date("w.start"),
            "fare_avg": F.col("fare_total") / F.col("trips"),
            "distance_avg": F.col("distance_total") / F.col("trips"),
            "tip_pct_avg": F.when(F.col("tip_trips") > 0, F.col("tip_pct_sum") / F.col("tip_trips")),
            "zone": zone_name,
        }
        column = {c: (computed[c] if c in computed else F.col(c)).alias(c) for c in ZONE_COLS if c != "written_at"}
        self._zone = [column[c] for c in ZONE_COLS if c != "written_at"]
        self._borough = [column[c] for c in BOROUGH_COLS if c != "written_at"]
        self._is_zone, self._is_borough = F.col("gid") == 0, F.col("gid") == 1

    def zone(self, batch, written_at: datetime):
        """The zone rows of `batch` (gid 0), stamped `written_at`."""
        return batch.where(self._is_zone).select(*self._zone, _stamp(written_at))

    def borough(self, batch, written_at: datetime):
        """The borough rows of `batch` (gid 1), stamped `written_at`."""
        return batch.where(self._is_borough).select(*self._borough, _stamp(written_at))


def _stamp(written_at: datetime):
    """The written_at column: ISO text, which the connector converts to a timestamp.

    A timestamp literal is compiled into the generated code, so every batch's three saves were new classes for
    Janino and then the JIT (C2 busy about half a core at 2,000 trips/s); a string literal is a reference of the
    generated class, which stays the same.
    """
    from pyspark.sql import functions as F

    at = written_at.astimezone(UTC)
    return F.lit(at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z").alias("written_at")


def window_rows(batch, zone_names, written_at: datetime | None = None):
    """Aggregate rows → (zone rows, borough rows) with the columns of kappa.zone_windows / borough_windows."""
    rows, at = WindowRows(zone_names), written_at or datetime.now(UTC)
    return rows.zone(batch, at), rows.borough(batch, at)


def save(df, table: str) -> None:
    """Append (= upsert: Cassandra writes by primary key) a DataFrame to a kappa table with the connector."""
    df.write.format(CASSANDRA).options(keyspace=config.KEYSPACE, table=table).mode("append").save()


RIDE_OUT_S = 180.0  # how long a micro-batch waits for a Cassandra that went away, then stops the job
RETRIES_WHILE_UP = 3  # writes tried again while Cassandra's port answers (a restarted node, stale sessions)


def ride_out(save_all, epoch_id: int, failure: BaseException, jvm, deadline_s: float = RIDE_OUT_S) -> None:
    """Write a batch Cassandra did not take again, once it is back: the job rides out a Cassandra restart.

    The writes are upserts of complete window aggregates, so writing the batch twice changes nothing. Before each
    try the connector's cached sessions are dropped (after a restart they keep failing with "Control channel not
    available" while the driver backs off). While Cassandra's CQL port is closed the batch waits for it (polled,
    bounded by `deadline_s`); while it is open, RETRIES_WHILE_UP tries at most. Then StreamError (write_failed).
    """
    import logging
    import time

    host, port = spark.cassandra_host_port()
    log = logging.getLogger("lab.sink")
    log.warning(
        "Cassandra did not take micro-batch %s (%s); writing it again once Cassandra answers",
        epoch_id,
        str(failure).splitlines()[0][:200] if str(failure) else type(failure).__name__,
    )
    deadline = time.monotonic() + deadline_s
    for tries in range(1, RETRIES_WHILE_UP + 1):
        try:
            left = max(0.0, deadline - time.monotonic())
            until(lambda: port_open(host, port), service="cassandra", timeout=left, interval=1.0)
        except ServiceNotReady:
            break
        jvm.com.datastax.spark.connector.cql.CassandraConnector.evictCache()
        try:
            save_all()
            log.warning("micro-batch %s written after Cassandra came back (try %s)", epoch_id, tries)
            return
        except Exception as exc:  # noqa: BLE001 - py4j wraps every connector failure
            failure = exc
    raise write_failed(epoch_id, failure) from None


def side_by_side(pool, *writes) -> None:
    """Run `writes` in `pool` and wait for every one of them, then raise the first failure.

    A write left running when its batch is given up (ride_out) could land after a later batch's rows: a stale
    aggregate over a newer one. So a batch's writes have all ended before it is written again or committed.
    """
    from concurrent.futures import wait

    futures = [pool.submit(write) for write in writes]
    wait(futures)
    for f in futures:
        f.result()


def window_writer(base_url: str | None = None, zones=None):
    """The foreachBatch function of the windows query: one batch of updated windows → three tables.

    The batch holds the complete current aggregate of every window it changed (update mode), so
    writing it again after a crash overwrites the same rows with the same values; a batch Cassandra
    did not take is written again once it is back (ride_out).
    """
    from concurrent.futures import ThreadPoolExecutor

    from pyspark.sql import functions as F

    zones = data.zones(base_url) if zones is None else zones  # the job's own lookup (lab.stream.start reads it once)
    rows = WindowRows(lookup_map(F.col("zone_id"), dict(zip(zones["LocationID"].astype(int), zones["Zone"]))))
    pool = ThreadPoolExecutor(2, thread_name_prefix="lab-sink")

    def write(batch, epoch_id: int) -> None:
        batch = batch.persist()  # computed once (by the first write), read from memory by the other two
        try:
            at = datetime.now(UTC)

            def save_all() -> None:
                zone = rows.zone(batch, at)
                save(zone, "zone_windows")  # first: its write time is the freshness figure
                # the two derived tables read the cached batch: two small Spark jobs side by side
                side_by_side(
                    pool,
                    lambda: save(zone.select(*TOP_COLS), "top_zones"),
                    lambda: save(rows.borough(batch, at), "borough_windows"),
                )

            try:
                save_all()
            except Exception as exc:  # noqa: BLE001 - py4j wraps every connector failure
                ride_out(save_all, epoch_id, exc, batch.sparkSession.sparkContext._jvm)
        finally:
            batch.unpersist()

    return write


def write_failed(epoch_id: int, exc: BaseException):
    """The StreamError for a micro-batch Cassandra did not take: where, why (first line), and what to do."""
    host, port = spark.cassandra_host_port()
    lines = [line.strip(" :") for line in str(exc).splitlines() if line.strip(" :")]
    # py4j's own first line ("An error occurred while calling o12.save.") says nothing: the Java cause follows it
    causes = [line for line in lines if ("Exception" in line or "Error" in line) and "error occurred" not in line]
    first = (causes or lines or [type(exc).__name__])[0][:300]
    return StreamError(
        f"writing micro-batch {epoch_id} to Cassandra at {host}:{port} failed ({first}); the batch "
        "is not committed: nothing is lost. Check Cassandra (`lab status`, `lab logs cassandra`), then "
        "restart the job: it resumes from its checkpoint"
    )


@dataclass(frozen=True)
class Quarantine:
    """Where the decoder puts the records it cannot use: kappa.quarantine, written from the Spark workers.

    The job decodes each Kafka record once: the good trips go on to the windows, the bad ones are
    written here by the decoding task itself (a side output), keyed by (day, topic, partition, offset)
    so a retried task or a replayed batch overwrites the same rows. Picklable: it travels to the
    Python workers, which keep one driver session each (lab.cassandra.session_at).
    """

    host: str
    port: int
    keyspace: str = config.KEYSPACE
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # never in a log line or a notebook output

    @classmethod
    def for_target(cls) -> Quarantine:
        """The Cassandra the Spark connector writes to, with its credentials (kind) or none (local)."""
        host, port = spark.cassandra_host_port()
        user, password = cassandra.credentials()
        return cls(host, port, username=user, password=password)

    def write(self, bad) -> int:
        """Insert decoded-but-unusable rows (lab.decode.SPARK_SCHEMA columns, `reason` set); returns how many."""
        import pandas as pd
        from cassandra.concurrent import execute_concurrent_with_args

        if len(bad) == 0:
            return 0
        sess = cassandra.session_at((self.host,), self.port, self.keyspace, self.username, self.password)
        insert = sess.prepare(
            f"INSERT INTO {self.keyspace}.quarantine ({', '.join(QUARANTINE_COLS)}) "
            f"VALUES ({', '.join('?' * len(QUARANTINE_COLS))})"
        )
        kafka_ts = pd.to_datetime(bad["kafka_us"], unit="us")
        now = datetime.now(UTC)
        rows = [
            (
                ts.date(),
                topic,
                int(part),
                int(off),
                reason,
                detail,
                None if pd.isna(sid) else int(sid),
                ts.to_pydatetime(),
                None if value is None else bytes(value),
                now,
            )
            for ts, topic, part, off, reason, detail, sid, value in zip(
                kafka_ts,
                bad["topic"],
                bad["kafka_partition"],
                bad["kafka_offset"],
                bad["reason"],
                bad["detail"],
                bad["schema_id"],
                bad["value"],
            )
        ]
        for ok, result in execute_concurrent_with_args(sess, insert, rows, concurrency=32, raise_on_first_error=False):
            if not ok:
                raise result
        return len(rows)
