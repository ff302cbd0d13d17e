"""The producer against the real local stack: Kafka 4.3 and Apicurio (ccompat), with the real TLC sample."""

from __future__ import annotations

import pytest

from lab.errors import LabError, SchemaRejected
from lab.pipeline import data, produce, schemas, topics

pytestmark = pytest.mark.stack


@pytest.fixture
def trips_topic(stack, unique_name):
    """A fresh trips topic + DLQ with the lab's settings; both topics and the value subject go afterwards."""
    dlq = f"{unique_name}-dlq"
    topics.ensure_topics(unique_name, dlq)
    yield unique_name, dlq
    topics.delete_topics([unique_name, dlq])
    schemas.delete_subject(f"{unique_name}-value")


def test_produce_the_real_sample_and_account_for_every_row(trips_topic):
    """Fails when the topic, the DLQ or a DLQ reason disagrees with validate(), or the subject is missing."""
    topic, dlq = trips_topic
    accepted, rejected = data.validate(data.load("yellow", "2021-01"), "2021-01")
    report = produce.produce("yellow", "2021-01", topic=topic, dlq=dlq, progress=False)
    assert (report.read, report.accepted, report.rejected) == (
        len(accepted) + len(rejected),
        len(accepted),
        len(rejected),
    )
    assert topics.count_messages(topic) == len(accepted) == report.delivered
    assert topics.count_messages(dlq) == len(rejected) == report.dlq_delivered
    partitions = topics.partition_counts(topic)
    assert len(partitions) == 6 and sum(partitions.values()) == len(accepted)

    dlq_msgs = topics.peek(dlq, max_messages=len(rejected) + 10, timeout=30)
    assert len(dlq_msgs) == len(rejected)
    for m in dlq_msgs:
        row = int(m["headers"]["row"])
        assert m["headers"]["reason"] == rejected.loc[row, "reason"]
        assert m["headers"]["reason_detail"] == rejected.loc[row, "reason_detail"]
        assert m["headers"]["source"] == "yellow_tripdata_2021-01.parquet"
    subject = f"{topic}-value"
    assert schemas.versions(subject) == [1]
    assert schemas.compatibility(subject) == "BACKWARD"
    assert schemas.get(subject)["id"] == report.schema_id


def test_messages_decode_back_to_the_accepted_rows(trips_topic):
    """Fails when a consumer with the registry's deserializer reads something else than what was produced."""
    topic, dlq = trips_topic
    df = data.load("green", "2024-01", limit=400)  # green: nulls in flags, passenger counts, surcharges
    accepted, rejected = data.validate(df, "2024-01")
    produce.produce_frame(accepted, rejected, topic=topic, dlq=dlq, progress=False)
    des = schemas.deserializer()
    got = topics.peek(topic, max_messages=len(accepted) + 10, timeout=30)
    assert len(got) == len(accepted)
    by_id = accepted.set_index("trip_id")
    keys_to_partition = {}
    for m in got:
        rec = des(m["value"], None)
        row = by_id.loc[rec["trip_id"]]
        assert m["key"] == str(row["pu_location_id"]) == str(rec["pu_location_id"])
        assert rec["pickup_ts"].replace(tzinfo=None) == row["pickup_ts"].to_pydatetime()
        assert rec["fare_amount"] == row["fare_amount"]
        assert (rec["passenger_count"] is None) == bool(row.isna()["passenger_count"])
        assert keys_to_partition.setdefault(m["key"], m["partition"]) == m["partition"]  # one zone, one partition


def test_reference_serializer_and_fast_path_put_the_same_bytes_on_the_wire(stack, unique_name):
    accepted, _ = data.validate(data.load("yellow", "2025-01", limit=300), "2025-01")
    sent = {}
    try:
        for encoder in ("serializer", "vectorised"):
            topic = f"{unique_name}-{encoder}"
            topics.ensure_topics(topic, f"{topic}-dlq")
            produce.produce_frame(accepted, topic=topic, dlq=f"{topic}-dlq", encoder=encoder, progress=False)
            sent[encoder] = {m["value"] for m in topics.peek(topic, max_messages=len(accepted) + 5, timeout=30)}
    finally:
        for encoder in ("serializer", "vectorised"):
            topics.delete_topics([f"{unique_name}-{encoder}", f"{unique_name}-{encoder}-dlq"])
            schemas.delete_subject(f"{unique_name}-{encoder}-value")
    assert len(sent["serializer"]) == len(accepted)
    assert sent["serializer"] == sent["vectorised"]


def test_backward_compatibility_in_the_registry(stack, unique_name):
    """Fails when the incompatible schema is stored, or the refusal does not carry the registry's reason."""
    subject = f"{unique_name}-value"
    try:
        assert schemas.set_compatibility(subject, "BACKWARD") == "BACKWARD"
        first = schemas.register(subject, schemas.V1)
        assert schemas.register(subject, schemas.V1) == first  # same content, same id
        assert schemas.check_compatible(subject, schemas.V2)
        assert not schemas.check_compatible(subject, schemas.V2_INCOMPATIBLE)
        with pytest.raises(SchemaRejected) as exc:
            schemas.register(subject, schemas.V2_INCOMPATIBLE)
        assert exc.value.status == 409 and exc.value.subject == subject
        assert "ncompatible" in exc.value.message and "trip_type" in str(exc.value)
        second = schemas.register(subject, schemas.V2)
        assert second != first and schemas.versions(subject) == [1, 2]
        assert schemas.by_id(second)["fields"][-1]["name"] == "trip_type"
        with pytest.raises(SchemaRejected) as exc:
            schemas.register(subject, '{"type": "recrd"}')
        assert exc.value.status in (400, 422)
    finally:
        schemas.delete_subject(subject)
    assert schemas.versions(subject) == []


def test_ensure_topics_is_idempotent_and_refuses_a_different_setup(stack, unique_name):
    from confluent_kafka.admin import NewTopic

    from lab.services import kafka

    trips, dlq = unique_name, f"{unique_name}-dlq"
    try:
        assert topics.ensure_topics(trips, dlq) == {trips: "created", dlq: "created"}
        assert topics.ensure_topics(trips, dlq) == {trips: "exists", dlq: "exists"}
        info = topics.describe(trips)
        assert info["partitions"] == 6 and info["config"]["retention.ms"] == str(7 * 24 * 3600 * 1000)
        admin = kafka.admin()
        admin.create_topics([NewTopic(f"{trips}-x", 2, 1)])[f"{trips}-x"].result(timeout=30)
        with pytest.raises(LabError, match="2 partitions, expected 6"):
            topics.ensure_topics(f"{trips}-x", dlq)
    finally:
        assert topics.delete_topics([trips, dlq, f"{trips}-x"]) == {
            trips: "deleted",
            dlq: "deleted",
            f"{trips}-x": "deleted",
        }


def test_lab_produce_command(stack, unique_name, capsys):
    from lab import cli

    try:
        code = cli.main(
            [
                "produce",
                "--service",
                "yellow",
                "--month",
                "2025-01",
                "--limit",
                "500",
                "--topic",
                unique_name,
                "--dlq",
                f"{unique_name}-dlq",
            ]
        )
        out = capsys.readouterr().out
        assert code == 0, out
        assert "accounting OK" in out and "read             500" in out
        assert topics.count_messages(unique_name) + topics.count_messages(f"{unique_name}-dlq") == 500
        assert cli.main(["produce", "--month", "1999-01", "--topic", unique_name]) == 1
        assert "yellow_tripdata_2021-01.parquet" in capsys.readouterr().err  # lists what is available
    finally:
        topics.delete_topics([unique_name, f"{unique_name}-dlq"])
        schemas.delete_subject(f"{unique_name}-value")


def test_replay_as_if_now_lands_near_the_wall_clock(trips_topic):
    """Fails when replayed pickups are not shifted to the present (encoded as UTC micros) or pacing is ignored."""
    import datetime as dt

    topic, dlq = trips_topic
    accepted, _ = data.validate(data.load("yellow", "2021-01", limit=3000), "2021-01")
    first = accepted.sort_values("pickup_ts").head(100)
    span = (first["pickup_ts"].max() - first["pickup_ts"].min()).total_seconds()
    started = dt.datetime.now(dt.UTC)
    report = produce.produce_frame(first, topic=topic, dlq=dlq, speedup=span / 2.0, shift_to_now=True, progress=False)
    assert report.delivered == 100 and report.elapsed_s >= 1.8
    des = schemas.deserializer()
    pickups = [des(m["value"], None)["pickup_ts"] for m in topics.peek(topic, max_messages=200, timeout=30)]
    assert len(pickups) == 100
    assert started - dt.timedelta(seconds=5) <= min(pickups) <= started + dt.timedelta(seconds=30)
    assert max(pickups) - min(pickups) <= dt.timedelta(seconds=2.5)


def test_a_broker_killed_mid_produce_is_said_once_and_loses_nothing(trips_topic, tmp_path):
    """kill -9 of the broker during `lab produce`, restarted: one line on stderr, no librdkafka line, each trip once."""
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    from lab import kafka, stack, truth
    from lab.wait import until

    topic, dlq = trips_topic
    accepted, rejected = data.validate(data.load("yellow", "2021-01"), "2021-01")
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    lab = Path(sys.executable).parent / "lab"  # the console script of this environment
    cmd = [str(lab), "produce", "--topic", topic, "--dlq", dlq, "--speedup", "3000"]  # ~45 s of paced sending
    with open(out, "w") as o, open(err, "w") as e:
        proc = subprocess.Popen(cmd, stdout=o, stderr=e, env=os.environ.copy())
    running = lambda: None if proc.poll() is None else f"lab produce exited with {proc.returncode}"  # noqa: E731
    try:
        until(
            lambda: topics.count_messages(topic) >= 2000,
            service=f"the first trips in {topic}",
            timeout=180,
            interval=0.5,
            alive=running,
        )
        os.kill(kafka.process().pid(), signal.SIGKILL)
        until(
            lambda: "broker unreachable" in err.read_text(),
            service="the producer's outage line",
            timeout=60,
            alive=running,
        )
        stack.up(["kafka"])
        proc.wait(timeout=600)
    finally:
        if proc.poll() is None:
            proc.kill()
    said = err.read_text()
    assert proc.returncode == 0, said[-3000:]
    assert "%3|" not in said and "FAIL" not in said, said[-3000:]
    lines = said.replace("\r", "\n").splitlines()
    about = [line for line in lines if "broker" in line.lower() and topic not in line]  # not the progress bars
    assert len(about) == 1 and "retrying for up to 300 s" in about[0], about
    assert "accounting OK" in out.read_text()
    trips = truth.from_topic(topic, timeout=180)
    assert len(trips) == len(accepted) and trips["trip_id"].is_unique, "every accepted trip once"
    assert set(trips["trip_id"]) == set(accepted["trip_id"])
    assert topics.count_messages(dlq) == len(rejected)
