"""The raw archive on the real local services: S3Proxy (keys required) and a Kafka Connect worker with the Iceberg sink
hold exactly the topic's records, byte for byte, and survive worker restarts (clean and killed) without losing or
duplicating one."""

from __future__ import annotations

import os
import signal

import pandas as pd
import pytest

from lab import config
from lab.errors import LabError
from lab.pipeline import archive, produce, topics
from lab.services import connect, s3proxy
from lab.services import stack as lab_stack
from lab.services.process import port_listening
from lab.wait import until


@pytest.fixture(scope="module")
def archive_stack():
    """Kafka, the registry (to produce Avro trips) and the archive; stops what it started."""
    config.use("local")
    before = {row["name"] for row in lab_stack.status(list(lab_stack.ALL)) if row["running"]}
    report = lab_stack.up(["schema_registry", "archive"])
    yield report
    started = [r["name"] for r in report if r["started"] and r["name"] not in before]
    if started and os.environ.get("LAB_KEEP_STACK") != "1":  # down([]) would stop everything
        lab_stack.down(started)


def _produce(rows: int) -> None:
    report = produce.produce("yellow", "2021-01", limit=rows)
    assert report.delivered > 0


@pytest.mark.stack
def test_the_store_requires_the_keys(archive_stack):
    import requests
    from pyarrow import fs

    anonymous = requests.get(f"{s3proxy.endpoint()}/{config.ARCHIVE_BUCKET}", timeout=10)
    assert anonymous.status_code == 403 and "AccessDenied" in anonymous.text
    wrong = fs.S3FileSystem(
        access_key="nobody", secret_key="wrong", endpoint_override=s3proxy.endpoint(), region=s3proxy.REGION
    )
    with pytest.raises(OSError):
        wrong.get_file_info(fs.FileSelector(f"{config.ARCHIVE_BUCKET}/warehouse", recursive=True))
    key, secret = s3proxy.credentials()
    right = fs.S3FileSystem(
        access_key=key, secret_key=secret, endpoint_override=s3proxy.endpoint(), region=s3proxy.REGION
    )
    right.get_file_info(fs.FileSelector(config.ARCHIVE_BUCKET, recursive=False))


@pytest.mark.stack
def test_archive_holds_exactly_the_topics_records(archive_stack):
    before = topics.end_offsets(config.TRIPS_TOPIC)
    _produce(1500)
    archive.wait_caught_up(timeout=180)
    result = archive.compare(strict=True)
    assert result.records == result.archived == topics.count_messages(config.TRIPS_TOPIC)
    assert result.archive_bytes == result.topic_bytes > result.records * 5  # Confluent frame + Avro body each
    frame = archive.read()
    # the producer's records keep their Confluent frame (other tests may have put a poison record in the topic before:
    # compare() above already holds those byte for byte)
    ours = frame[frame["offset"] >= frame["partition"].map(lambda p: before.get(int(p), 0))]
    assert len(ours) >= 1500 * 0.9 and set(ours["value"].map(lambda v: v[:1])) == {b"\x00"}, (
        "every value the lab's producer wrote is archived with its magic byte"
    )


@pytest.mark.stack
def test_worker_restarts_lose_and_duplicate_nothing(archive_stack):
    _produce(800)
    assert connect.stop()  # clean stop: SIGTERM
    _produce(800)  # produced while no worker runs
    connect.start()
    archive.wait_caught_up(timeout=240)
    archive.compare(strict=True)

    _produce(800)
    pid = connect.process().pid()
    os.killpg(pid, signal.SIGKILL)  # a crash: whatever was not committed must come again, once
    until(
        lambda: not connect.process().running() and not port_listening(config.ports().connect),
        service="killed connect worker",
        timeout=30,
    )
    connect.start()
    archive.wait_caught_up(timeout=240)
    result = archive.compare(strict=True)
    assert not result.duplicates and not result.missing and result.records == result.archived


@pytest.mark.stack
def test_a_recreated_topic_is_archived_anew_after_forget(archive_stack):
    """Delete and recreate an archived topic: without forget the connector would skip the new log up to the old one's
    end; with it the archive holds exactly the new log, and the other topics' rows are untouched."""
    name = "taxi-trips-w99"  # matched by the connector's topics.regex, used by no notebook
    topics.delete_topics([name, name + "-dlq"])
    topics.ensure_topics(name, name + "-dlq")
    try:
        produce.produce("yellow", "2021-01", limit=400, topic=name, dlq=name + "-dlq", progress=False)
        archive.wait_caught_up(name, timeout=240)
        others = len(archive.read(config.TRIPS_TOPIC))
        with pytest.raises(LabError, match="lab down connect"):
            archive.forget(name)  # refused while the connector runs (it may be writing the topic's rows)
        assert connect.stop()
        topics.delete_topics([name])
        topics.ensure_topics(name, name + "-dlq")
        produce.produce("yellow", "2021-01", limit=150, topic=name, dlq=name + "-dlq", progress=False)
        dropped = archive.forget(name)
        assert dropped["rows"] > 150, dropped  # the old log's rows (Kafka itself dropped the deleted topic's offsets)
        connect.start()
        archive.wait_caught_up(name, timeout=240)
        result = archive.compare(name, strict=True)
        assert result.records == result.archived == topics.count_messages(name) < 400
        assert len(archive.read(config.TRIPS_TOPIC)) == others
    finally:
        if not connect.process().running():
            connect.start()
        topics.delete_topics([name, name + "-dlq"])


@pytest.mark.stack
def test_reading_without_a_catalog_says_what_to_do(archive_stack, tmp_path, monkeypatch):
    monkeypatch.setenv("LAB_HOME", str(tmp_path))
    with pytest.raises(LabError, match="lab up archive"):
        archive.read()


@pytest.mark.stack
def test_week09_archive_check(archive_stack, unique_name):
    from lab.errors import CheckFailed
    from lab.lessons.exercises import week09

    _produce(300)
    assert "✅" in week09.check_archive(config.TRIPS_TOPIC)
    topics.ensure_topics(unique_name, unique_name + "-dlq")  # a topic the connector does not read
    produce.produce("yellow", "2021-01", limit=50, topic=unique_name, dlq=unique_name + "-dlq")
    with pytest.raises(CheckFailed, match="not caught up"):
        week09.check_archive(unique_name, timeout=15)
    topics.delete_topics([unique_name, unique_name + "-dlq"])


@pytest.mark.stack
def test_replay_from_the_archive_sends_the_same_bytes_in_order(archive_stack, unique_name):
    _produce(500)
    archive.wait_caught_up(timeout=180)
    topics.ensure_topics(unique_name, unique_name + "-dlq")
    try:
        sent = archive.replay(unique_name)
        archived = archive.read()
        assert sent == len(archived) > 0
        got = topics.peek(unique_name, max_messages=topics.count_messages(unique_name), timeout=120)
        assert len(got) == sent
        for part, rows in archived.groupby("partition"):
            mine = [m for m in got if m["partition"] == part]
            assert [m["value"] for m in mine] == [bytes(v) for v in rows["value"]], f"partition {part}: order or bytes"
            assert [int(m["headers"]["archived_offset"]) for m in mine] == rows["offset"].tolist()
            assert [int(m["headers"]["archived_ts_ms"]) for m in mine] == [
                pd.Timestamp(t).value // 1_000_000 for t in rows["ts"]
            ]
    finally:
        topics.delete_topics([unique_name, unique_name + "-dlq"])
