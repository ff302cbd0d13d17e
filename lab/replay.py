"""Week 9: reprocessing the Kappa way — replay the log from offset 0 and prove the rebuilt tables exact."""
from __future__ import annotations

import uuid

import pandas as pd

from .errors import LabError


def topic_trips(topic: str, timeout: float = 60.0) -> pd.DataFrame:
    """Every usable trip now in `topic`, decoded in plain Python (confluent-kafka + lab.decode; no Spark).

    This is the independent side of the comparison: a batch read of the same log the stream reads.
    """
    from confluent_kafka import Consumer, TopicPartition

    from . import data, decode, kafka, schema_registry

    consumer = Consumer({"bootstrap.servers": kafka.bootstrap_servers(), "group.id": f"lab-replay-{uuid.uuid4().hex[:8]}",
                         "enable.auto.commit": False})
    values = []
    try:
        meta = consumer.list_topics(topic, timeout=timeout).topics.get(topic)
        if meta is None or meta.error is not None:
            raise LabError(f"topic {topic!r} does not exist")
        for p in meta.partitions:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=timeout)
            if high <= low:
                continue
            consumer.assign([TopicPartition(topic, p, low)])
            while True:
                batch = consumer.consume(10_000, timeout=5.0)
                if not batch:
                    raise LabError(f"{topic}[{p}] stopped answering before offset {high}")
                values += [m.value() for m in batch if not m.error()]
                if batch[-1].offset() >= high - 1:
                    break
    finally:
        consumer.close()
    trips = decode.decode_values(values, decode.registry_lookup(schema_registry.registry_url()))
    zone_ids = set(int(z) for z in data.zones()["LocationID"])
    trips = decode.validate(trips, zone_ids)
    ok = trips[trips["reason"].isna()].copy()
    ok["pickup_ts"] = pd.to_datetime(ok["pickup_ts"], unit="us")
    return ok


def expected_for(trips: pd.DataFrame, window: str = "5 minutes") -> dict[str, pd.DataFrame]:
    """Ground truth for these trips (lab.truth.aggregate, pandas)."""
    from . import truth

    return truth.aggregate(trips, window)


def written_by(table: str, since) -> pd.DataFrame:
    """A Cassandra table's rows (re)written at or after `since`: what one replay wrote, not other weeks' rows."""
    from . import tables

    df = tables.read(table)
    return df if df.empty else df[pd.to_datetime(df["written_at"], utc=True) >= pd.Timestamp(since)]


def check_replay(expected: dict[str, pd.DataFrame], since, strict: bool = False):
    """Compare what the replay wrote (rows written since `since`) with `expected`; a lab.truth.Report.

    Missing rows (expected, not rewritten), extra rows (written, not expected) and differing values all count.
    """
    from . import truth

    return truth.check(expected, actual={t: written_by(t, since) for t in truth.KEYS}, strict=strict)


def reprocess(topic: str, name: str, window: str = "5 minutes", sink: str = "cassandra", timeout: float = 600.0):
    """Run a NEW version of the job over the whole log: fresh checkpoint, from offset 0, until caught up.

    `sink="memory"` keeps the result in a Spark table named `name` (compare a new logic before switching readers).
    Returns the finished lab.stream.Running.
    """
    from . import stream

    job = stream.Job(topic=topic, name=name, window=window, trigger="availableNow", starting_offsets="earliest",
                     sink=sink, quarantine=False)
    stream.reset(job)
    return stream.start(job).await_done(timeout)


def per_hour(df: pd.DataFrame, time_col: str = "window_start", count_col: str = "trips") -> pd.Series:
    """Trips per hour from window rows (any window length that divides an hour)."""
    t = pd.to_datetime(df[time_col])
    return df.groupby(t.dt.floor("1h"))[count_col].sum().sort_index()
