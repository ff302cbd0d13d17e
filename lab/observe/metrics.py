"""Metrics the lab exports itself for Prometheus: Spark streaming progress (a query listener) and zone fares (the
producer's counters are in lab.pipeline.produce, the endpoints in lab.services.exporter)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC

from lab import config
from lab.pipeline import tables
from lab.pipeline.running import skipped_offsets, source_offsets
from lab.services.exporter import Exporter, exporter
from lab.wait import until

log = logging.getLogger(__name__)


class SparkMetrics(Exporter):
    """Gauges and counters fed from StreamingQueryProgress events (and the latest zone fares)."""

    def __init__(self, port: int):
        super().__init__(port)
        from prometheus_client import Counter, Gauge

        r, q = self.registry, ["query"]
        self.active = Gauge(
            "lab_spark_query_active", "1 while the streaming query runs, 0 once it stopped", q, registry=r
        )
        self.input_rows = Counter("lab_spark_input_rows", "Rows read from Kafka (sum of numInputRows)", q, registry=r)
        self.input_rate = Gauge(
            "lab_spark_input_rows_per_second", "Arrival rate of the last micro-batch", q, registry=r
        )
        self.processed_rate = Gauge(
            "lab_spark_processed_rows_per_second", "Processing rate of the last micro-batch", q, registry=r
        )
        self.batch_duration = Gauge(
            "lab_spark_batch_duration_seconds", "Wall time of the last micro-batch", q, registry=r
        )
        self.batch_id = Gauge("lab_spark_batch_id", "Id of the last completed micro-batch", q, registry=r)
        self.state_rows = Gauge(
            "lab_spark_state_rows", "Rows held in the state stores (all stateful operators)", q, registry=r
        )
        self.dropped = Counter(
            "lab_spark_rows_dropped_by_watermark",
            "Late rows dropped because they were behind the watermark",
            q,
            registry=r,
        )
        self.watermark = Gauge("lab_spark_watermark_seconds", "Event-time watermark (epoch seconds)", q, registry=r)
        self.last_progress = Gauge(
            "lab_spark_last_progress_timestamp_seconds", "When the last progress event arrived", q, registry=r
        )
        self.behind = Gauge(
            "lab_spark_offsets_behind_latest",
            "Spark's own min/avg/max offsets behind latest over the partitions",
            ["query", "stat"],
            registry=r,
        )
        labels = ["query", "topic", "partition"]
        self.end_offset = Gauge(
            "lab_spark_source_end_offset", "Next offset Spark will read, per partition", labels, registry=r
        )
        self.latest_offset = Gauge(
            "lab_spark_source_latest_offset", "Latest offset Spark saw when planning, per partition", labels, registry=r
        )
        self.skipped = Counter(
            "lab_spark_source_offsets_skipped",
            "Offsets passed over unread because they were gone "
            "(deleted/recreated topic, retention; only with allow_data_loss)",
            ["query", "topic"],
            registry=r,
        )
        self.partition_behind = Gauge(
            "lab_spark_partition_offsets_behind_latest", "latest - end offset, per partition", labels, registry=r
        )
        zone = ["zone", "name"]
        self.zone_fare = Gauge(
            "lab_zone_window_avg_fare", "Average fare (USD) of the latest window of a pickup zone", zone, registry=r
        )
        self.zone_trips = Gauge(
            "lab_zone_window_trips", "Trips in the latest window of a pickup zone", zone, registry=r
        )
        self.zone_window = Gauge(
            "lab_zone_window_start_seconds", "Start of the latest window of a pickup zone (epoch s)", zone, registry=r
        )
        self._names: dict[str, str] = {}
        self._ends: dict[str, dict[str, int]] = {}
        self._batches: dict[str, int] = {}
        self._idle: set[str] = set()  # queries whose last event was an idle one (no batch ran since)
        self._fares: Callable[[], Iterable[dict]] | None = None
        self._fares_every, self._fares_at = 2.0, 0.0
        self._fares_thread: threading.Thread | None = None
        self._fares_stop = threading.Event()
        self._fares_failing = False  # the last fetch failed: its warning was logged once, not every refresh

    # -- progress events -------------------------------------------------------------------
    def started(self, query_id: str, name: str | None) -> None:
        self._names[query_id] = name or query_id
        self.active.labels(self._names[query_id]).set(1)

    def progress(self, p) -> None:
        """Record one StreamingQueryProgress (pyspark object, or anything with the same attributes)."""
        q = p.name or str(p.id)
        self.active.labels(q).set(1)
        self.input_rows.labels(q).inc(p.numInputRows or 0)
        self.input_rate.labels(q).set(_num(p.inputRowsPerSecond))
        self.processed_rate.labels(q).set(_num(p.processedRowsPerSecond))
        self.batch_duration.labels(q).set((p.batchDuration or 0) / 1000.0)
        self.batch_id.labels(q).set(p.batchId)
        self.last_progress.labels(q).set(time.time())
        ops = p.stateOperators or []
        self.state_rows.labels(q).set(sum(op.numRowsTotal for op in ops))
        self.dropped.labels(q).inc(sum(op.numRowsDroppedByWatermark for op in ops))
        wm = (p.eventTime or {}).get("watermark")
        if wm:
            self.watermark.labels(q).set(_epoch(wm))
        for src in p.sources or []:
            for stat in ("min", "avg", "max"):
                value = (src.metrics or {}).get(f"{stat}OffsetsBehindLatest")
                if value is not None:
                    self.behind.labels(q, stat).set(_num(value))
            end, latest = source_offsets(src.endOffset), source_offsets(src.latestOffset)
            self._ends[q] = {part: off for (_topic, part), off in end.items()}
            for (topic, part), off in end.items():
                self.end_offset.labels(q, topic, part).set(off)
                if (topic, part) in latest:
                    self.latest_offset.labels(q, topic, part).set(latest[(topic, part)])
                    self.partition_behind.labels(q, topic, part).set(max(0, latest[(topic, part)] - off))
        for topic, n in skipped_offsets(p).items():
            self.skipped.labels(q, topic).inc(n)
            log.warning(
                "query %s, batch %s: SKIPPED %d offsets of topic %s that were gone (data loss allowed); "
                "those records were never read",
                q,
                p.batchId,
                n,
                topic,
            )
        self._batches[q] = p.batchId
        self._idle.discard(q)

    def idle(self, query_id: str) -> None:
        q = self._names.get(query_id, query_id)
        self._idle.add(q)
        self.input_rate.labels(q).set(0)
        self.processed_rate.labels(q).set(0)
        self.last_progress.labels(q).set(time.time())

    def terminated(self, query_id: str) -> None:
        q = self._names.get(query_id, query_id)
        self.active.labels(q).set(0)
        self.input_rate.labels(q).set(0)
        self.processed_rate.labels(q).set(0)

    def end_offsets(
        self, query: str = "trip_windows", batch_id: int | None = None, timeout: float = 30.0
    ) -> dict[str, int]:
        """Partition → next offset the query will read, as of its last progress event (what its checkpoint holds).

        Listener events arrive asynchronously: with `batch_id`, first wait (bounded) until that batch was seen. An idle
        query's lastProgress (Spark 3.5) carries the id of the batch it will run *next*: that id counts as seen once
        the batch before it and an idle event after it were.
        """
        if batch_id is not None:

            def seen() -> bool:
                last = self._batches.get(query, -1)
                return last >= batch_id or (last == batch_id - 1 and query in self._idle)

            until(
                seen,
                service=f"progress of batch {batch_id} of {query}",
                timeout=timeout,
                interval=0.2,
            )
        return dict(self._ends.get(query, {}))

    # -- zone fares --------------------------------------------------------------------------
    def watch_fares(self, fetch: Callable[[], Iterable[dict]] | None = None, every_s: float = 2.0) -> None:
        """Refresh the zone-fare gauges every `every_s` seconds from `fetch()` (default: Cassandra).

        The refresh runs on a thread of its own, never in Spark's listener callback: a callback that waits on I/O
        holds up Spark's listener bus, and with it `SparkSession.stop()` (a Cassandra query whose driver was shut
        down under it never returns, which once hung a CI run in the Spark fixture's teardown).
        """
        self._fares, self._fares_every = (fetch or latest_zone_fares), every_s
        if self._fares_thread is None or not self._fares_thread.is_alive():
            self._fares_stop.clear()
            self._fares_thread = threading.Thread(target=self._refresh_fares, name="lab-zone-fares", daemon=True)
            self._fares_thread.start()

    def unwatch_fares(self) -> None:
        """Stop refreshing the zone-fare gauges (the thread ends after its current fetch)."""
        self._fares_stop.set()
        self._fares = None

    def _refresh_fares(self) -> None:
        while not self._fares_stop.wait(self._fares_every):
            self.poll_fares()

    def poll_fares(self, force: bool = False) -> int:
        """Run the fare fetch now if due; returns how many zones were updated."""
        if self._fares is None or (not force and time.monotonic() - self._fares_at < self._fares_every):
            return 0
        self._fares_at = time.monotonic()
        try:
            rows = list(self._fares())
        except Exception as exc:  # noqa: BLE001 - a metrics hiccup must never stop the stream
            if not self._fares_failing:  # once per outage: a Cassandra down for minutes is one line, not one per 2 s
                log.warning("zone fare refresh failed (said once until it works again): %s", exc)
            self._fares_failing = True
            return 0
        if self._fares_failing:
            log.warning("zone fare refresh works again")
        self._fares_failing = False
        self.set_fares(rows)
        return len(rows)

    def set_fares(self, rows: Iterable[dict]) -> None:
        """Set the gauges from rows with keys zone_id, zone (name), fare_avg, trips, window_start (datetime or epoch s)."""
        for row in rows:
            z, name = str(row["zone_id"]), str(row.get("zone") or "")
            self.zone_fare.labels(z, name).set(_num(row["fare_avg"]))
            self.zone_trips.labels(z, name).set(_num(row["trips"]))
            ws = row.get("window_start")
            self.zone_window.labels(z, name).set(
                ws.replace(tzinfo=UTC).timestamp() if hasattr(ws, "timestamp") else _num(ws)
            )

    def listener(self):
        """A pyspark StreamingQueryListener that feeds this exporter."""
        return _make_listener(self)


def _make_listener(m: SparkMetrics):
    from pyspark.sql.streaming import StreamingQueryListener

    class LabMetricsListener(StreamingQueryListener):
        """Forwards query events to the lab's Prometheus gauges; never raises into Spark."""

        def _safe(self, fn, *args):
            try:
                fn(*args)
            except Exception as exc:  # noqa: BLE001
                log.warning("metrics listener: %s", exc)

        def onQueryStarted(self, event):
            self._safe(m.started, str(event.id), event.name)

        def onQueryProgress(self, event):
            self._safe(m.progress, event.progress)

        def onQueryIdle(self, event):
            self._safe(m.idle, str(event.id))

        def onQueryTerminated(self, event):
            self._safe(m.terminated, str(event.id))

    return LabMetricsListener()


_attached: dict[str, object] = {}


def spark_metrics() -> SparkMetrics:
    """The Spark exporter on config.ports().spark_metrics (one per process and port)."""
    return exporter("spark", config.ports().spark_metrics, SparkMetrics)  # type: ignore[return-value]


def attach(spark, fares: bool = True) -> str:
    """Register the progress listener on `spark` (once per session) and serve the gauges; returns the /metrics URL.

    With `fares=True` the listener also refreshes the zone-fare gauges from Cassandra after each batch.
    """
    m = spark_metrics()
    url = m.serve()
    key = spark.sparkContext.applicationId
    if key not in _attached:
        listener = m.listener()
        spark.streams.addListener(listener)
        _attached[key] = listener
    if fares:
        m.watch_fares()
    return url


def latest_zone_fares() -> list[dict]:
    """The latest window of every zone on the newest event-time day in kappa.top_zones.

    Returns dicts with zone_id, zone, window_start, trips, fare_avg (empty before the first window is written).
    """
    session = tables.connect()
    days = [r.day for r in session.execute(f"SELECT DISTINCT day FROM {config.KEYSPACE}.top_zones", timeout=30)]
    if not days:
        return []
    rows = session.execute(
        f"SELECT window_start, zone_id, zone, trips, fare_avg FROM {config.KEYSPACE}.top_zones WHERE day = %s",
        (max(days, key=str),),
        timeout=30,
    )
    latest: dict[int, dict] = {}
    for r in rows:  # newest window first (clustering order), so the first row of a zone is its latest
        latest.setdefault(r.zone_id, r._asdict())
    return list(latest.values())


def start_offsets(progress) -> dict[str, int]:
    """Partition → offset a micro-batch started from (a progress dict or StreamingQueryProgress)."""
    sources = progress["sources"] if isinstance(progress, dict) else progress.sources
    first = sources[0]
    text = first["startOffset"] if isinstance(first, dict) else first.startOffset
    return {part: off for (_topic, part), off in source_offsets(text).items()}


def _num(x) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if v != v else v  # NaN -> 0


def _epoch(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
