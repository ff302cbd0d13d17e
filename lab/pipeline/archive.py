"""The raw archive (week 9): every taxi-trips record as Kafka held it, read back from the Iceberg table the Connect
worker writes (lab.connect), and compared with the topic record by record.

Rows: topic, partition, offset, ts (the Kafka timestamp), value (the exact record bytes, Confluent frame included).
The archive outlives Kafka's retention: it is what a replay reads once the topic has forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from lab import config
from lab.errors import CheckFailed, LabError, ProduceError
from lab.pipeline import topics
from lab.services import connect, kafka, s3proxy
from lab.wait import until

COLUMNS = ("topic", "partition", "offset", "ts", "value")


def catalog():
    """PyIceberg SqlCatalog on the connector's SQLite catalog, under the sink's catalog name, with the store keys."""
    from pyiceberg.catalog.sql import SqlCatalog

    path = connect.data_dir() / "catalog.db"
    if not path.exists():
        raise LabError(f"no archive catalog at {path}: start the archive with `lab up archive` and produce some trips")
    key, secret = s3proxy.credentials()
    return SqlCatalog(
        config.ARCHIVE_CATALOG,
        **{
            "uri": f"sqlite:///{path}",
            "warehouse": connect.warehouse(),
            "s3.endpoint": s3proxy.endpoint(),
            "s3.access-key-id": key,
            "s3.secret-access-key": secret,
            "s3.region": s3proxy.REGION,
        },
    )


def table():
    """The archive's Iceberg table (LabError when the connector has not committed yet)."""
    from pyiceberg.exceptions import NoSuchTableError

    try:
        return catalog().load_table(config.ARCHIVE_TABLE)
    except NoSuchTableError as exc:
        raise LabError(
            f"the archive table {config.ARCHIVE_TABLE} does not exist yet: the connector creates it at its "
            f"first commit (every {connect.COMMIT_INTERVAL_MS / 1000:.0f} s once records arrive); see "
            "`lab logs connect`"
        ) from exc


def read(topic: str = config.TRIPS_TOPIC) -> pd.DataFrame:
    """The archived records of one topic, ordered by partition and offset."""
    from pyiceberg.expressions import EqualTo

    frame = table().scan(row_filter=EqualTo("topic", topic), selected_fields=COLUMNS).to_pandas()
    return frame.sort_values(["partition", "offset"], ignore_index=True)


def end_offsets(topic: str = config.TRIPS_TOPIC) -> dict[int, int]:
    """partition → the offset after the newest archived record (what the archive has caught up to)."""
    try:
        frame = read(topic)
    except LabError:
        return {}
    return {int(p): int(o) + 1 for p, o in frame.groupby("partition")["offset"].max().items()}


def wait_caught_up(topic: str = config.TRIPS_TOPIC, timeout: float = 120.0) -> dict[int, int]:
    """Wait (bounded) until the archive holds every partition up to the topic's end offsets; returns them."""
    want = {p: hi for p, hi in topics.end_offsets(topic).items() if hi > 0}

    def caught_up():
        have = end_offsets(topic)
        behind = {p: (have.get(p, 0), hi) for p, hi in want.items() if have.get(p, 0) < hi}
        if behind:
            raise RuntimeError(f"archive behind the topic (partition: archived, topic end): {behind}")
        return want or True

    until(caught_up, service="archive", timeout=timeout, interval=2.0, log_tail=connect.process().tail)
    return want


@dataclass
class Comparison:
    """The archive against the topic, record by record on (partition, offset)."""

    topic: str
    records: int  # in the topic
    archived: int  # rows in the archive for this topic
    missing: list  # (partition, offset) in the topic, not in the archive
    extra: list  # archived, not in the topic
    duplicates: list  # (partition, offset) archived more than once
    differing: list  # (partition, offset) whose bytes or timestamp differ
    topic_bytes: int
    archive_bytes: int

    @property
    def ok(self) -> bool:
        return not (self.missing or self.extra or self.duplicates or self.differing)

    def summary(self) -> str:
        head = (
            f"{'✅' if self.ok else '❌'} archive of {self.topic}: {self.records} records in the topic "
            f"({self.topic_bytes:,} bytes), {self.archived} archived ({self.archive_bytes:,} bytes)"
        )
        parts = [
            f"{len(v)} {k} (first {v[:3]})"
            for k, v in (
                ("missing", self.missing),
                ("extra", self.extra),
                ("duplicated", self.duplicates),
                ("differing", self.differing),
            )
            if v
        ]
        return head + ("; " + ", ".join(parts) if parts else "")

    def __str__(self) -> str:
        return self.summary()


def compare(topic: str = config.TRIPS_TOPIC, strict: bool = False, timeout: float = 60.0) -> Comparison:
    """Compare every record of the topic (plain consumer) with the archive: same count, same bytes, same timestamp."""
    msgs = topics.peek(topic, max_messages=topics.count_messages(topic), timeout=timeout)
    kafka = {(m["partition"], m["offset"]): m for m in msgs}
    archived = read(topic)
    seen: dict[tuple, dict] = {}
    duplicates = []
    for row in archived.itertuples(index=False):
        key = (int(row.partition), int(row.offset))
        if key in seen:
            duplicates.append(key)
        seen[key] = {"value": bytes(row.value), "ts": pd.Timestamp(row.ts)}
    differing = []
    for key in sorted(kafka.keys() & seen.keys()):
        m, a = kafka[key], seen[key]
        if m["value"] != a["value"] or m["timestamp"] != a["ts"].value // 1_000_000:  # .value: ns since epoch (UTC)
            differing.append(key)
    result = Comparison(
        topic,
        len(kafka),
        len(archived),
        sorted(kafka.keys() - seen.keys()),
        sorted(seen.keys() - kafka.keys()),
        duplicates,
        differing,
        sum(len(m["value"] or b"") for m in msgs),
        int(archived["value"].map(len).sum()),
    )
    if strict and not result.ok:
        raise CheckFailed(result.summary())
    return result


def replay(to_topic: str, topic: str = config.TRIPS_TOPIC, partitions: int | None = None) -> int:
    """Produce every archived record of `topic` again, byte for byte, into `to_topic` (beyond Kafka's retention).

    Each record goes to its original partition (when `to_topic` has as many; else partition % partitions), in
    offset order, so per-partition order is kept. Records get new Kafka timestamps (a broker rejects timestamps
    older than message.timestamp.before.max.ms); the original timestamp, topic, partition and offset travel in the
    headers `archived_ts_ms`, `archived_topic`, `archived_partition`, `archived_offset`. The event time the stream
    windows by is inside the value (pickup_ts), so it is unchanged. Returns the number of records sent.
    """
    from confluent_kafka import Producer

    rows = read(topic)
    parts = partitions or topics.describe(to_topic)["partitions"]
    failed: list[str] = []
    producer = Producer(
        {"bootstrap.servers": kafka.bootstrap_servers(), "enable.idempotence": True, "acks": "all", "linger.ms": 20}
    )

    def delivered(err, _msg) -> None:
        if err is not None:
            failed.append(str(err))

    for row in rows.itertuples(index=False):
        headers = [
            ("archived_ts_ms", str(pd.Timestamp(row.ts).value // 1_000_000).encode()),
            ("archived_topic", row.topic.encode()),
            ("archived_partition", str(row.partition).encode()),
            ("archived_offset", str(row.offset).encode()),
        ]
        while True:
            try:
                producer.produce(
                    to_topic,
                    value=bytes(row.value),
                    partition=int(row.partition) % parts,
                    headers=headers,
                    on_delivery=delivered,
                )
                break
            except BufferError:
                producer.poll(0.5)
    left = producer.flush(120)
    if left or failed:
        raise ProduceError(
            f"replay into {to_topic}: {left} records still in flight, {len(failed)} failed "
            f"(first: {failed[:1]}); is Kafka up (`lab status`)?"
        )
    return len(rows)


def forget(topic: str) -> dict:
    """Forget an archived topic that is about to be recreated under the same name; returns what was dropped.

    The archive keys a record by topic, partition and offset: a new log under the old name would collide with the old
    rows (and a check that the archive has caught up would pass on the old rows at once). So this drops the topic's
    archived rows (whole Iceberg partitions: the table is partitioned by topic). The connector's committed offsets
    need nothing: deleting the topic drops them in Kafka (seen here: the group then lists no offsets for it, and the
    connector reads the new log from its start). Other topics are untouched. The connector must not run (it could be
    writing the topic's rows): LabError otherwise; the object store is started if needed.
    """
    from pyiceberg.expressions import EqualTo

    if connect.process().running():
        raise LabError(
            f"stop the archive before forgetting {topic}: `lab down connect` (it may be writing the topic's rows)"
        )
    if (connect.data_dir() / "catalog.db").exists():
        s3proxy.start()  # the archived rows are on the object store (a no-op when it runs)
    try:
        rows = len(read(topic))
        if rows:
            table().delete(delete_filter=EqualTo("topic", topic))
    except LabError:  # no archive yet: nothing to drop
        rows = 0
    return {"rows": rows}
