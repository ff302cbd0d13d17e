"""Week 5's incident: a colleague's producer that wrote trips the stream cannot use (two releases, two bugs), the
lab's job over its topic, and the topic's quarantine rows. The exercise is to diagnose it (lab.exercises.week05)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pandas as pd

from lab import config
from lab.errors import LabError, SchemaRejected
from lab.pipeline import data, produce, schemas, stream, tables, topics, wire

MISMATCH_SOURCE = ("yellow", "2025-01")  # another month than the week's topic: its windows are on days of their own
UNKNOWN_ID = 424242  # the id a "staging" registry gave the schema: hard-coded by the first broken producer
QUARANTINE_DAYS = 31  # the quarantine's TTL is 30 days: a fresh scene clears the topic's rows of that many days


@dataclass(frozen=True)
class Broken:
    """What broken_producer sent: `trips` (the accepted trips, in order) into `topic`, ending at offsets `end`."""

    topic: str
    trips: pd.DataFrame = field(repr=False)
    end: dict[int, int] = field(repr=False)

    def __repr__(self) -> str:
        month = "-".join(MISMATCH_SOURCE[1:])
        return f"{len(self.trips)} trips of {MISMATCH_SOURCE[0]} {month} sent to {self.topic}"


def _quarantine_days() -> list:
    today = datetime.now(UTC).date()
    return [today - timedelta(days=d) for d in range(QUARANTINE_DAYS)]


def quarantined(topic: str, session=None) -> pd.DataFrame:
    """The topic's rows of kappa.quarantine (one partition query per day of the TTL): partition, offset, reason …"""
    session = session or tables.connect()
    cql = (
        f"SELECT kafka_partition, kafka_offset, reason, detail, schema_id, value FROM {config.KEYSPACE}.quarantine "
        "WHERE day = %s AND topic = %s"
    )
    rows = [r._asdict() for day in _quarantine_days() for r in session.execute(cql, (day, topic))]
    return pd.DataFrame(rows, columns=["kafka_partition", "kafka_offset", "reason", "detail", "schema_id", "value"])


def broken_producer(topic: str, trips: int = 300) -> Broken:
    """A colleague's producer, as it was found: `trips` trips into a fresh `topic`, none of which the stream can use.

    The scene is reset first: the topic is recreated (its old checkpoints go), the topic's quarantine rows are
    deleted, and the registry's subjects are left as the colleague left them. How the trips were broken is the
    exercise: read this function's source (`broken_producer??`) only after your diagnosis.
    """
    from confluent_kafka import Producer

    topics.delete_topics([topic])
    topics.ensure_topics(topic, f"{topic}-dlq")
    session = tables.connect()
    for day in _quarantine_days():
        session.execute(f"DELETE FROM {config.KEYSPACE}.quarantine WHERE day = %s AND topic = %s", (day, topic))
    service, month = MISMATCH_SOURCE
    ok, _ = data.validate(data.load(service, month, limit=trips + trips // 5), month)
    ok = ok.head(trips)
    v1, v2 = schemas.load(schemas.V1), schemas.load(schemas.V2)
    for subject in (config.subject(topic), topic):
        schemas.delete_subject(subject)
    # v1 under the topic's subject, as the first release registered it; v2 under the topic's name: the deploy
    # script of the second release forgot the "-value" of TopicNameStrategy
    v1_id = schemas.register(config.subject(topic), v1)
    schemas.register(topic, v2)
    if _registry_has(UNKNOWN_ID):
        raise LabError(f"this registry has a schema with id {UNKNOWN_ID}: the scene needs an id it never issued")
    half = len(ok) // 2
    # release 1: v1 bodies framed with the id the schema had in the staging registry (hard-coded)
    values = wire.encode_frames(ok.iloc[:half], v1, UNKNOWN_ID)
    # release 2: v2 bodies (its own schema) framed with the latest id of the topic's subject, which is still v1's
    values += wire.encode_frames(ok.iloc[half:], v2, v1_id)
    producer = Producer(produce.producer_config())
    for key, value in zip(ok["pu_location_id"].astype(str), values):
        producer.produce(topic, key=key.encode(), value=value)
    left = producer.flush(60)
    if left:
        raise LabError(f"{left} of {len(values)} records not delivered to {topic}: is Kafka up? `lab status`")
    return Broken(topic, ok.reset_index(drop=True), topics.end_offsets(topic))


def _registry_has(schema_id: int) -> bool:
    try:
        schemas.by_id(schema_id)
    except SchemaRejected as exc:
        if exc.status == 404:
            return False
        raise
    return True


def mismatch_job(topic: str):
    """The lab's streaming job over the mismatch topic: availableNow, Cassandra sink, quarantine on."""
    return stream.Job(topic=topic, trigger="availableNow", name="week05_mismatch")


def run_job(topic: str, timeout: float = 600.0) -> int:
    """Run mismatch_job until it has read everything in the topic; how many records it read."""
    running = stream.start(mismatch_job(topic)).await_done(timeout)
    return sum(int(p.get("numInputRows") or 0) for p in running.progress())
