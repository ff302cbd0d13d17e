"""Produce a TLC month to Kafka as Avro (Confluent wire format); rejected rows go to the DLQ; every row is accounted for."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from lab import config
from lab.errors import ProduceError
from lab.pipeline import data, schemas, topics, wire
from lab.services import clientlog, exporter, kafka

CHUNK = 20_000  # rows encoded at once: big enough for numpy, small enough to start sending at once
FLUSH_TIMEOUT_S = 60.0


class ProducerMetrics(exporter.Exporter):
    """Counters for the producer: delivered, failed, dead-lettered (by reason), and a recent send rate."""

    WINDOW_S = 5.0

    def __init__(self, port: int):
        super().__init__(port)
        from prometheus_client import Counter, Gauge

        r = self.registry
        self._delivered = Counter(
            "lab_producer_messages_delivered", "Messages acknowledged by Kafka", ["topic"], registry=r
        )
        self._failed = Counter(
            "lab_producer_messages_failed", "Messages Kafka did not acknowledge", ["topic"], registry=r
        )
        self._dlq = Counter(
            "lab_producer_dlq_messages", "Rows sent to the dead-letter topic, by reason", ["reason"], registry=r
        )
        self._recent: deque[tuple[float, int]] = deque()  # (when, how many were delivered then)
        rate = Gauge("lab_producer_send_rate", "Messages delivered per second over the last 5 s", registry=r)
        rate.set_function(self.send_rate)

    def delivered(self, topic: str, n: int = 1) -> None:
        if n <= 0:
            return
        self._delivered.labels(topic).inc(n)
        self._recent.append((time.monotonic(), n))

    def failed(self, topic: str, n: int = 1) -> None:
        if n > 0:
            self._failed.labels(topic).inc(n)

    def dlq(self, reason: str, n: int = 1) -> None:
        if n > 0:
            self._dlq.labels(reason).inc(n)

    def tally(self, topic: str) -> Callable[[int, int], None]:
        """A function update(ok, failed) that adds the growth of one producer's running delivery counts."""
        seen = [0, 0]

        def update(ok: int, failed: int) -> None:
            self.delivered(topic, ok - seen[0])
            self.failed(topic, failed - seen[1])
            seen[:] = [ok, failed]

        return update

    def send_rate(self) -> float:
        """Delivered messages per second over the last WINDOW_S seconds."""
        now = time.monotonic()
        while self._recent and now - self._recent[0][0] > self.WINDOW_S:
            self._recent.popleft()
        return sum(n for _, n in self._recent) / self.WINDOW_S


def producer_metrics(serve: bool = True) -> ProducerMetrics:
    """The producer exporter on config.ports().producer_metrics; started on first use when `serve`."""
    m = exporter.exporter("producer", config.ports().producer_metrics, ProducerMetrics)
    if serve:
        m.serve()
    return m  # type: ignore[return-value]


def producer_config(**overrides) -> dict:
    """librdkafka settings: idempotent, acks=all, batched and lz4-compressed for throughput."""
    conf = {
        "bootstrap.servers": kafka.bootstrap_servers(),
        "enable.idempotence": True,  # no duplicates or reordering on retries
        "acks": "all",
        "linger.ms": 100,  # wait up to 0.1 s to fill batches (throughput over latency)
        "batch.size": 1_000_000,
        "batch.num.messages": 100_000,
        "compression.type": "lz4",
        "queue.buffering.max.messages": 1_000_000,
        "queue.buffering.max.kbytes": 1_048_576,
        "partitioner": "murmur2_random",  # same key → partition mapping as Java clients (and Spark)
        "client.id": "kappa-lab-producer",
    }
    conf.update(overrides)
    return conf


@dataclass
class ProduceReport:
    """What happened to every row: read = accepted + rejected; accepted = delivered + failed; rejected = DLQ."""

    topic: str
    dlq: str
    source: str = ""
    schema_id: int | None = None
    read: int = 0
    accepted: int = 0
    rejected: int = 0
    delivered: int = 0
    failed: int = 0
    dlq_delivered: int = 0
    dlq_failed: int = 0
    elapsed_s: float = 0.0
    rate: float = 0.0  # delivered trips per second
    reasons: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)  # the first few delivery errors
    broker: str = ""  # bootstrap.servers, named when Kafka did not acknowledge

    def problems(self) -> list[str]:
        """Every way the accounting does not add up (empty when all rows are accounted for and delivered)."""
        out = []
        if self.read != self.accepted + self.rejected:
            out.append(f"read {self.read} != accepted {self.accepted} + rejected {self.rejected}")
        if self.accepted != self.delivered + self.failed:
            out.append(
                f"accepted {self.accepted} != delivered {self.delivered} + failed {self.failed} "
                f"({self.accepted - self.delivered - self.failed} without a delivery report)"
            )
        if self.rejected != self.dlq_delivered + self.dlq_failed:
            out.append(f"rejected {self.rejected} != dlq_delivered {self.dlq_delivered} + dlq_failed {self.dlq_failed}")
        if self.failed or self.dlq_failed:
            out.append(f"{self.failed} trips and {self.dlq_failed} DLQ messages failed: {'; '.join(self.errors[:3])}")
        unacked = self.accepted + self.rejected - self.delivered - self.dlq_delivered
        if unacked and self.broker:
            out.insert(
                0,
                f"Kafka at {self.broker} did not acknowledge {unacked} messages: is the broker up? "
                "(`lab status`, `lab logs kafka`); produce again to a fresh topic, or accept duplicates",
            )
        return out

    def check(self) -> ProduceReport:
        """Raise ProduceError unless every row is accounted for and delivered; returns self."""
        problems = self.problems()
        if problems:
            exc = ProduceError("produce accounting failed: " + "; ".join(problems))
            exc.report = self
            raise exc
        return self

    def __str__(self) -> str:
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(self.reasons.items(), key=lambda kv: -kv[1])) or "none"
        return (
            f"{self.source or 'trips'} → {self.topic} (schema id {self.schema_id})\n"
            f"  read      {self.read:>10,}\n"
            f"  accepted  {self.accepted:>10,}   delivered {self.delivered:,}   failed {self.failed:,}\n"
            f"  rejected  {self.rejected:>10,}   → {self.dlq}: delivered {self.dlq_delivered:,}   failed {self.dlq_failed:,}\n"
            f"  reasons   {reasons}\n"
            f"  elapsed   {self.elapsed_s:>10.2f} s   rate {self.rate:,.0f} trips/s"
        )

    def as_dict(self) -> dict:
        return asdict(self)


class _Counter:
    """Delivery-report callback that counts successes and failures (librdkafka calls it once per message)."""

    __slots__ = ("ok", "failed", "errors")

    def __init__(self):
        self.ok, self.failed, self.errors = 0, 0, []

    def __call__(self, err, msg):
        if err is None:
            self.ok += 1
        else:
            self.failed += 1
            if len(self.errors) < 5:
                self.errors.append(f"{msg.topic()}: {err.str()}")


def _send(producer, topic, value, key, callback, headers=None) -> None:
    """produce() with back-pressure: when the local queue is full, serve delivery reports and retry."""
    while True:
        try:
            producer.produce(topic, value, key, on_delivery=callback, headers=headers)
            return
        except BufferError:
            producer.poll(0.05)


def _send_all(producer, topic: str, values: list, keys: list, callback) -> None:
    """The hot loop: one produce() per message, positional arguments, back-pressure only when the queue is full.

    `callback` must be the producer's own on_delivery callback: messages sent here report to it.
    """
    produce_one = producer.produce  # delivery reports go to the producer-wide on_delivery callback
    for value, key in zip(values, keys):
        try:
            produce_one(topic, value, key)
        except BufferError:
            _send(producer, topic, value, key, callback)


def _send_paced(producer, topic: str, values: list, keys: list, callback, due, start: float, tally) -> None:
    """Send each message when its due time (seconds after `start`) has come, serving delivery reports meanwhile."""
    for value, key, at in zip(values, keys, due):
        wait = at - (time.perf_counter() - start)
        while wait > 0:  # a bounded wait for the trip's (scaled) pickup time, not a blind sleep
            producer.poll(min(wait, 0.1))
            tally(callback.ok, callback.failed)  # observability: a live send rate while pacing
            wait = at - (time.perf_counter() - start)
        _send(producer, topic, value, key, callback)


_ZONE_KEYS = np.array([str(i) for i in range(1024)], dtype=object)


def _keys(zones: pd.Series) -> list[str]:
    """Message keys: the pickup zone id as a decimal string (looked up, not formatted, for speed)."""
    ids = zones.to_numpy(np.int64)
    if len(ids) and (ids.min() < 0 or ids.max() >= len(_ZONE_KEYS)):
        return [str(i) for i in ids]
    return _ZONE_KEYS[ids].tolist()


def dlq_messages(rejected: pd.DataFrame) -> list[tuple[str, bytes, list]]:
    """(key, JSON value, headers) for each rejected row: headers reason, reason_detail, source, row."""
    cols = [c for c in rejected.columns if c not in ("reason", "reason_detail")]
    lines = rejected[cols].to_json(orient="records", lines=True, date_format="iso", date_unit="us").splitlines()
    source = rejected.attrs.get("source", "")
    return [
        (
            trip_id,
            line.encode(),
            [
                ("reason", reason.encode()),
                ("reason_detail", detail.encode()),
                ("source", source.encode()),
                ("row", str(row).encode()),
            ],
        )
        for trip_id, line, reason, detail, row in zip(
            rejected["trip_id"], lines, rejected["reason"], rejected["reason_detail"], rejected.index
        )
    ]


def produce_frame(
    accepted: pd.DataFrame,
    rejected: pd.DataFrame | None = None,
    *,
    topic: str = config.TRIPS_TOPIC,
    dlq: str = config.DLQ_TOPIC,
    schema: str | dict = schemas.V1,
    speedup: float | None = None,
    shift_to_now: bool = False,
    encoder: str = "vectorised",
    progress: bool = True,
    producer_conf: dict | None = None,
    check: bool = True,
) -> ProduceReport:
    """Produce validated trips to `topic` (key = pickup zone id) and rejected ones to `dlq`.

    Parameters
    ----------
    speedup : None sends as fast as possible; X replays in event time X× faster than real time
        (paced by pickup_ts in file order, so out-of-order trips stay out of order)
    shift_to_now : with speedup, rewrite pickup/dropoff so the data replays "as if now" (lab.data.replay_times)
    encoder : "vectorised" (lab.wire.encode_frames) or "serializer" (confluent-kafka AvroSerializer, the reference)
    """
    from confluent_kafka import Producer
    from confluent_kafka.serialization import MessageField, SerializationContext
    from tqdm import tqdm

    rejected = rejected if rejected is not None else accepted.iloc[:0].assign(reason=[], reason_detail=[])
    schema_dict = schemas.load(schema) if isinstance(schema, str) else schema
    subject = config.subject(topic)
    schemas.set_compatibility(subject, config.DEFAULT_COMPATIBILITY)
    report = ProduceReport(
        topic=topic,
        dlq=dlq,
        source=accepted.attrs.get("source", ""),
        schema_id=schemas.register(subject, schema_dict),
        read=len(accepted) + len(rejected),
        accepted=len(accepted),
        rejected=len(rejected),
        reasons=rejected["reason"].value_counts().to_dict(),
    )
    main, side = _Counter(), _Counter()
    # main's delivery reports come through the producer-wide callback (cheaper than one per produce() call)
    conf = {**producer_config(**(producer_conf or {})), "on_delivery": main}
    report.broker = conf["bootstrap.servers"]
    # librdkafka's lines go to the lab's log file; a broker outage is said once on stderr (lab/services/clientlog.py)
    producer = Producer({**conf, "logger": clientlog.client_logger("producer", conf)})
    pm = producer_metrics()  # Prometheus counters on ports().producer_metrics
    tally = pm.tally(topic)
    serializer = schemas.serializer(schema_dict) if encoder == "serializer" else None
    ctx = SerializationContext(topic, MessageField.VALUE)
    due = None
    if speedup:
        pickups = accepted["pickup_ts"]
        due = ((pickups - pickups.min()).dt.total_seconds() / speedup).to_numpy() if len(accepted) else []
        if shift_to_now:
            accepted = data.replay_times(accepted, speedup)
    start = time.perf_counter()
    with tqdm(total=len(accepted), unit="trips", disable=not progress, desc=topic) as bar:
        for lo in range(0, len(accepted), CHUNK):
            chunk = accepted.iloc[lo : lo + CHUNK]
            if serializer is None:
                values = wire.encode_frames(chunk, schema_dict, report.schema_id)
            else:
                values = [serializer(row, ctx) for row in chunk.to_dict("records")]
            keys = _keys(chunk["pu_location_id"])
            if due is None:
                _send_all(producer, topic, values, keys, main)
            else:
                _send_paced(producer, topic, values, keys, main, due[lo : lo + CHUNK], start, tally)
            producer.poll(0)
            tally(main.ok, main.failed)  # observability
            bar.update(len(chunk))
    for key, value, headers in dlq_messages(rejected):
        _send(producer, dlq, value, key, side, headers)
    producer.flush(max(FLUSH_TIMEOUT_S, clientlog.message_timeout_s(conf) + 5))  # every message reports by then
    tally(main.ok, main.failed)  # observability: final counts, and the DLQ'd rows per reason
    for reason, n in rejected["reason"].value_counts().items() if side.ok and not side.failed else ():
        pm.dlq(reason, int(n))
    report.elapsed_s = time.perf_counter() - start
    report.delivered, report.failed = main.ok, main.failed
    report.dlq_delivered, report.dlq_failed = side.ok, side.failed
    report.errors = main.errors + side.errors
    report.rate = report.delivered / report.elapsed_s if report.elapsed_s else 0.0
    return report.check() if check else report


def produce(
    service: str = "yellow",
    month: str = "2021-01",
    *,
    limit: int | None = None,
    scale: int = 1,
    speedup: float | None = None,
    shift_to_now: bool = False,
    base_url: str | None = None,
    ensure: bool = True,
    **kwargs,
) -> ProduceReport:
    """Load, validate and produce one TLC month; returns the checked ProduceReport.

    Parameters
    ----------
    limit : read only the first `limit` rows of the file
    scale : SYNTHETIC load: send `scale` time-shifted copies of every row (lab.data.scale_up)
    speedup : None = as fast as possible; X = event-time replay X× faster than real time
    shift_to_now : with speedup, rewrite pickup/dropoff so the month replays "as if now" (lab.data.replay_times)
    kwargs : passed to produce_frame (topic, dlq, schema, encoder, progress, producer_conf, check)
    """
    df = data.load(service, month, base_url=base_url, limit=limit)
    accepted, rejected = data.validate(df, month)
    if scale > 1:
        accepted, rejected = data.scale_up(accepted, scale), data.scale_up(rejected, scale)
    if ensure:
        topics.ensure_topics(kwargs.get("topic", config.TRIPS_TOPIC), kwargs.get("dlq", config.DLQ_TOPIC))
    return produce_frame(accepted, rejected, speedup=speedup, shift_to_now=shift_to_now, **kwargs)
