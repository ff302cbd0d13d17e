"""The streaming job against the real stack: exactness on the real sample, crash recovery, quarantine."""
from __future__ import annotations

import struct
import uuid

import pandas as pd
import pytest

from lab import config, recovery, stream, tables, truth

pytestmark = [pytest.mark.spark, pytest.mark.timeout(900)]

SAMPLE_ROWS = 28_401


@pytest.fixture(scope="session")
def sample(stack):
    """The real yellow 2021-01 sample produced by lab.produce into a topic of its own; yields (topic, report)."""
    from lab import produce

    topic = f"t-stream-sample-{uuid.uuid4().hex[:8]}"
    report = produce.produce("yellow", "2021-01", topic=topic, dlq=f"{topic}-dlq", progress=False)
    assert report.read == SAMPLE_ROWS and report.delivered == report.accepted
    tables.apply()
    return topic, report


@pytest.fixture(scope="session")
def expected():
    return truth.aggregate(truth.accepted("yellow", "2021-01"))


@pytest.fixture(scope="session")
def spark(stack):
    from lab import spark as lab_spark

    session = lab_spark.start()
    yield session
    lab_spark.stop()


def test_sample_stream_equals_the_ground_truth(sample, expected, spark, tmp_path):
    topic, report = sample
    tables.truncate(tables.WINDOW_TABLES)
    job = stream.Job(topic=topic, trigger="availableNow", name="exact", checkpoint_root=str(tmp_path))
    running = stream.start(job, spark).await_done(600)
    assert sum(p["numInputRows"] for p in running.progress()) == report.accepted
    result = truth.check(expected, strict=True)
    assert result.ok and result.tables[0].compared == len(expected["zone_windows"])
    assert expected["zone_windows"]["trips"].sum() == report.accepted
    q = tables.read("quarantine")
    assert q.empty or not (q["topic"] == topic).any(), "the producer's accepted trips must all be usable"


def test_killed_driver_restarts_from_its_checkpoint_exactly(sample, expected, tmp_path):
    topic, report = sample
    # a watermark longer than the sample's time span: this test is about crashes, not about late data
    job = stream.Job(topic=topic, trigger="1 second", max_offsets_per_trigger=5000, watermark="2 days",
                     name="recovery", checkpoint_root=str(tmp_path))
    crash = recovery.crash_and_recover(job, expected, kill_after_batches=2)
    total_batches = -(-report.accepted // 5000)
    assert 2 <= crash.committed_at_kill < total_batches - 1, "the driver must die mid-stream"
    assert crash.report.ok, crash.report.summary()


def test_without_the_checkpoint_a_restart_leaves_gaps(sample, expected, tmp_path):
    topic, report = sample
    job = stream.Job(topic=topic, trigger="1 second", max_offsets_per_trigger=5000, watermark="2 days",
                     name="nocheckpoint", checkpoint_root=str(tmp_path))
    crash = recovery.crash_and_recover(job, expected, kill_after_batches=2, with_checkpoint=False)
    zone = crash.report.tables[0]
    assert not crash.report.ok
    assert len(zone.missing) + len(zone.differing) > 0


def _frame(schema_id: int, body: bytes) -> bytes:
    return struct.pack(">bI", 0, schema_id) + body


def test_bad_records_are_quarantined_and_the_query_keeps_going(stack, spark, tmp_path):
    import fastavro
    import io

    from confluent_kafka import Producer
    from confluent_kafka.admin import NewTopic

    from lab import data, kafka, schemas, wire

    topic = f"t-quarantine-{uuid.uuid4().hex[:8]}"
    kafka.admin().create_topics([NewTopic(topic, 1, 1)])[topic].result(timeout=30)
    tables.apply()
    sid = schemas.register(f"{topic}-value", schemas.load())
    sid2 = schemas.register(f"{topic}-value", schemas.load(schemas.V2))   # the compatible evolution
    assert sid2 != sid
    trips = data.load("yellow", "2021-01", limit=4)
    day = pd.Timestamp("2030-01-01") + pd.Timedelta(days=uuid.uuid4().int % 3000)   # partitions of this run only
    trips["pickup_ts"] = day + pd.Timedelta(minutes=1)
    trips["dropoff_ts"] = day + pd.Timedelta(minutes=11)
    parsed = fastavro.parse_schema(schemas.load())
    parsed2 = fastavro.parse_schema(schemas.load(schemas.V2), named_schemas={})

    def body(row, schema=parsed) -> bytes:
        buf = io.BytesIO()
        fastavro.schemaless_writer(buf, schema, wire.to_dict(row))
        return buf.getvalue()

    good = [body(r) for r in trips.to_dict("records")]
    v2 = body({**trips.iloc[3].to_dict(), "trip_type": 1}, parsed2)
    bad_zone = body({**trips.iloc[0].to_dict(), "pu_location_id": 999})
    negative = body({**trips.iloc[1].to_dict(), "fare_amount": -5.0})
    values = [
        (_frame(sid, good[0]), None),
        (b"\x7bnot a confluent frame at all", "bad_magic"),
        (b"\x00\x01", "too_short"),
        (_frame(sid + 100_000, good[1]), "unknown_schema_id"),
        (_frame(sid, b"\x02\x41"), "undecodable"),
        (_frame(sid, bad_zone), "unknown_zone"),
        (_frame(sid, negative), "negative_amount"),
        (_frame(sid, good[1]), None),
        (_frame(sid, good[2]), None),
        (_frame(sid2, v2), None),                  # written with v2: decodes by its id, resolves to v1
    ]
    producer = Producer({"bootstrap.servers": kafka.bootstrap_servers()})
    for value, _ in values:
        producer.produce(topic, value=value, key=b"1")
    assert producer.flush(30) == 0

    job = stream.Job(topic=topic, trigger="availableNow", name="quarantine_test", checkpoint_root=str(tmp_path))
    stream.start(job, spark).await_done(600)

    q = tables.read("quarantine")
    q = q[q["topic"] == topic].set_index("kafka_offset").sort_index()
    want = {offset: reason for offset, (_, reason) in enumerate(values) if reason}
    assert q["reason"].to_dict() == want
    assert (q["kafka_partition"] == 0).all() and q["detail"].str.len().gt(0).all()
    assert q.loc[1, "value"] == values[1][0], "the original bytes are kept"
    # the decoder writes the quarantine as a side output: a replay of the same offsets overwrites, never adds
    stream.start(job, spark, checkpoint_root=str(tmp_path / "replayed")).await_done(600)
    again = tables.read("quarantine")
    again = again[again["topic"] == topic].set_index("kafka_offset").sort_index()
    assert again["reason"].to_dict() == want
    assert (again["quarantined_at"] >= q["quarantined_at"]).all() and (again["quarantined_at"] > q["quarantined_at"]).any()
    # the good trips around the bad ones (one of them v2) still reach the window tables
    boroughs = trips["pu_location_id"].astype(int).map(data.zones().set_index("LocationID")["Borough"])
    for borough, want in boroughs.value_counts().items():   # one good frame per trip row, the last one v2
        rows = tables.connect().execute(
            f"SELECT trips FROM {config.KEYSPACE}.borough_windows WHERE borough = %s AND day = %s",
            (borough, day.date())).all()
        assert sum(r.trips for r in rows) == want, borough


def test_zone_and_borough_lookups_are_exact_in_spark(spark):
    """lab.sink.lookup_map builds one SQL map literal: every id maps to its name, quotes included."""
    from pyspark.sql import functions as F

    from lab import data, sink

    zones = data.zones()
    for column in ("Zone", "Borough"):
        mapping = dict(zip(zones["LocationID"].astype(int), zones[column]))
        got = (spark.createDataFrame([(k,) for k in [*mapping, 9999]], "zone_id int")
               .withColumn("name", sink.lookup_map(F.col("zone_id"), mapping)).toPandas())
        assert dict(zip(got["zone_id"], got["name"])) == {**mapping, 9999: None}
    assert any("'" in name for name in zones["Zone"]), "the lookup has names with quotes (e.g. Governor's Island)"
