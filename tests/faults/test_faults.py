"""The fault suite: real faults (kill -9 or a restart of a real service), then proof from the data that nothing was
lost or counted twice.

Every test uses the session's stack; a test that kills a service restarts it and waits until it is ready, so the tests
after it find the stack as they expect. The cases that need no service (bad TLC files, what a fault says) are in
tests/unit/test_bad_files.py and tests/unit/test_fault_messages.py.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
import pytest

from lab import config
from lab.pipeline import data

# --- helpers for the stack faults ------------------------------------------------------------------------------


def kill9(name: str) -> int:
    """SIGKILL the real process (group) of a local service, as a crash would; returns its pid."""
    import os
    import signal

    from lab.services import stack as lab_stack
    from lab.services.process import port_listening
    from lab.wait import until

    proc = lab_stack.service(name).process()
    pid = proc.pid()
    assert pid, f"{name} is not running"
    os.killpg(pid, signal.SIGKILL)
    # gone = no pid, and its sockets closed (a big JVM's threads outlive its zombie leader for a while)
    until(
        lambda: proc.pid() is None and not any(port_listening(p) for p in proc.ports),
        service=f"{name} gone",
        timeout=60,
        interval=0.1,
    )
    return pid


def restart(*names: str) -> None:
    """Start the named services again (each until ready), then wait until the whole stack answers again."""
    from lab.services import stack as lab_stack

    for name in names:
        lab_stack.service(name).start()
    for name in config.LOCAL_STACK:  # the registry keeps its schemas in Kafka: it must be back too
        lab_stack.service(name).wait_ready(180)


def topic_trip_ids(topic: str, expected: int) -> pd.Series:
    """The trip_id of every record in the topic (all partitions, from the start), read back with fastavro."""
    import io

    import fastavro

    from lab.pipeline import decode, topics

    msgs = topics.peek(topic, max_messages=expected + 1000, timeout=120)
    writers: dict[int, object] = {}
    lookup = decode.registry_lookup(__import__("lab").schema_registry.registry_url())
    ids = []
    for m in msgs:
        sid = int.from_bytes(m["value"][1:5], "big")
        writers.setdefault(sid, lookup(sid))
        ids.append(fastavro.schemaless_reader(io.BytesIO(m["value"][5:]), writers[sid], None)["trip_id"])
    return pd.Series(ids, dtype="object")


@pytest.fixture
def trips_topic(stack, unique_name):
    """A fresh trips topic + DLQ with the lab's settings; both go afterwards."""
    from lab.pipeline import schemas, topics

    dlq = f"{unique_name}-dlq"
    topics.ensure_topics(unique_name, dlq)
    yield unique_name, dlq
    topics.delete_topics([unique_name, dlq])
    schemas.delete_subject(f"{unique_name}-value")


def produce_in_background(accepted, rejected, topic: str, dlq: str, **kwargs):
    """Run lab.produce.produce_frame in a thread; returns (thread, box) where box gets "report" or "error"."""
    from lab.pipeline import produce

    box: dict = {}

    def run():
        try:
            box["report"] = produce.produce_frame(accepted, rejected, topic=topic, dlq=dlq, progress=False, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the test looks at what the producer said
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, box


def messages_in(topic: str) -> int:
    """Messages in a topic now (sum of high watermarks), read with a quiet throwaway consumer."""
    from confluent_kafka import Consumer, TopicPartition

    from lab.services import kafka

    c = Consumer({"bootstrap.servers": kafka.bootstrap_servers(), "group.id": "lab-faults-probe", "log_level": 0})
    try:
        parts = c.list_topics(topic, timeout=5).topics[topic].partitions
        return sum(c.get_watermark_offsets(TopicPartition(topic, p), timeout=5)[1] for p in parts)
    finally:
        c.close()


def scaled_sample(n: int):
    """The yellow 2021-01 sample validated, the accepted trips scaled up `n` times (SYNTHETIC load)."""
    accepted, rejected = data.validate(data.load("yellow", "2021-01"), "2021-01")
    return data.scale_up(accepted, n), rejected


# --- the producer: the broker killed or down mid-produce -------------------------------------------------------------


@pytest.mark.stack
@pytest.mark.timeout(600)
def test_broker_killed_mid_produce_every_trip_lands_exactly_once(trips_topic):
    from lab.wait import until

    topic, dlq = trips_topic
    accepted, rejected = scaled_sample(20)  # ~0.5M trips: the kill lands mid-produce
    thread, box = produce_in_background(accepted, rejected, topic, dlq)
    until(lambda: messages_in(topic) >= len(accepted) // 10, service="first acknowledged trips", timeout=120)
    assert thread.is_alive(), "the broker must die mid-produce"
    kill9("kafka")
    restart("kafka")  # within seconds: the producer retries meanwhile
    thread.join(400)
    assert not thread.is_alive(), "the producer neither finished nor stopped"
    report = box.get("report") or getattr(box.get("error"), "report", None)
    assert report is not None, box
    assert report.read == report.accepted + report.rejected == len(accepted) + len(rejected)
    print(f"broker killed mid-produce: {'stopped: ' + str(box['error']) if 'error' in box else 'finished'}")
    if "error" in box:  # allowed: a clear stop that names the broker
        assert config.ports().kafka and f"127.0.0.1:{config.ports().kafka}" in str(box["error"]), box["error"]
    else:
        assert report.delivered == len(accepted) and report.dlq_delivered == len(rejected)
    ids = topic_trip_ids(topic, len(accepted))
    assert not ids.duplicated().any(), f"{ids.duplicated().sum()} trips twice in the topic"
    assert set(ids) <= set(accepted["trip_id"])
    assert len(ids) >= report.delivered, "an acknowledged trip is missing from the topic"
    if "error" not in box:
        assert len(ids) == len(accepted)


@pytest.mark.stack
@pytest.mark.timeout(600)
def test_broker_down_the_producer_stops_naming_it_and_the_accounting_adds_up(trips_topic):
    """The broker dies mid-produce and stays down longer than the producer waits (message.timeout.ms)."""
    from lab.errors import ProduceError
    from lab.wait import until

    topic, dlq = trips_topic
    accepted, rejected = scaled_sample(20)
    thread, box = produce_in_background(accepted, rejected, topic, dlq, producer_conf={"message.timeout.ms": 8000})
    until(lambda: messages_in(topic) >= len(accepted) // 10, service="first acknowledged trips", timeout=120)
    kill9("kafka")
    try:
        thread.join(300)
        assert not thread.is_alive(), "the producer did not give up"
    finally:
        restart("kafka")
    err = box.get("error")
    assert isinstance(err, ProduceError), box
    assert f"Kafka at 127.0.0.1:{config.ports().kafka}" in str(err), str(err)
    report = err.report
    assert report.read == report.accepted + report.rejected
    assert report.accepted == report.delivered + report.failed and report.failed > 0
    assert report.rejected == report.dlq_delivered + report.dlq_failed
    ids = topic_trip_ids(topic, len(accepted))
    assert not ids.duplicated().any(), f"{ids.duplicated().sum()} trips twice in the topic"
    # failed = not acknowledged: some of those may still have been written before the broker died
    assert report.delivered <= len(ids) <= report.delivered + report.failed


# --- exposure: every lab listener bound to loopback ------------------------------------------------------------------


@pytest.fixture(scope="module")
def spark(stack):
    """The lab's SparkSession for this module; stopped afterwards (frees the UI port for later notebook kernels)."""
    from lab.services import spark as lab_spark

    session = lab_spark.start()
    yield session
    lab_spark.stop()


def lab_processes() -> dict[int, str]:
    """pid → name of every process of the lab: each local service's process tree, and this one's (Spark's JVM …)."""
    import os

    import psutil

    from lab.services import stack as lab_stack

    roots = {os.getpid(): "pytest (Spark driver, exporters)"}
    roots.update({lab_stack.service(n).process().pid(): n for n in lab_stack.ALL})
    out = {}
    for pid, name in roots.items():
        if pid is None:
            continue
        proc = psutil.Process(pid)
        out[pid] = name
        out.update({child.pid: f"{name} (child {child.name()})" for child in proc.children(recursive=True)})
    return out


@pytest.mark.spark
def test_every_lab_listener_is_bound_to_loopback(stack, spark):
    """The stack, a SparkSession with its UI, the JMX exporters and the metrics endpoints: nothing beyond 127.0.0.1."""
    import ipaddress

    import psutil

    from lab.observe import metrics
    from lab.pipeline import produce
    from lab.services import spark as lab_spark
    from lab.wait import http_ok, until

    metrics.attach(spark, fares=False)  # the streaming gauges' endpoint
    produce.producer_metrics()  # the producer's endpoint
    until(lambda: http_ok(lab_spark.metrics_url(), timeout=10), service="the Spark metrics servlet", timeout=120)
    from lab.services import stack as lab_stack

    procs = lab_processes()
    idle = {n for n in lab_stack.ON_DEMAND if not lab_stack.service(n).process().running()}  # the archive, unless up
    ports = {port for name, port in config.ports().__dict__.items() if name not in idle}
    listening = [c for c in psutil.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]
    ours = [c for c in listening if c.pid in procs or c.laddr.port in ports]
    seen_ports = {c.laddr.port for c in ours}
    # not vacuous: every service's ports, the Spark UI and both exporters are in the table
    assert not ports - seen_ports, f"expected listeners missing on ports {sorted(ports - seen_ports)}"

    def loopback(ip: str) -> bool:
        addr = ipaddress.ip_address(ip)
        return (getattr(addr, "ipv4_mapped", None) or addr).is_loopback  # ::ffff:127.0.0.1 is 127.0.0.1

    assert not loopback("0.0.0.0") and not loopback("::") and loopback("::ffff:127.0.0.1")
    wide = [
        f"{procs.get(c.pid, f'pid {c.pid}')} listens on {c.laddr.ip}:{c.laddr.port}"
        for c in ours
        if not loopback(c.laddr.ip)
    ]
    assert not wide, "lab services reachable beyond this machine:\n" + "\n".join(wide)


# --- the producer: the schema registry down at start or killed mid-produce -------------------------------------------


@pytest.mark.stack
@pytest.mark.timeout(600)
def test_registry_down_at_producer_start_is_a_clear_error_before_anything_is_sent(trips_topic):
    from lab.errors import LabError
    from lab.pipeline import produce, topics

    topic, dlq = trips_topic
    accepted, rejected = data.validate(data.load("yellow", "2021-01", limit=2000), "2021-01")
    kill9("schema_registry")
    try:
        with pytest.raises(LabError, match=r"schema registry at http://127\.0\.0\.1:\d+.* is not reachable.*lab up"):
            produce.produce_frame(accepted, rejected, topic=topic, dlq=dlq, progress=False)
    finally:
        restart("schema_registry")
    assert topics.count_messages(topic) == 0 and topics.count_messages(dlq) == 0


@pytest.mark.stack
@pytest.mark.timeout(600)
def test_registry_killed_mid_produce_the_producer_goes_on(trips_topic):
    from lab.wait import until

    topic, dlq = trips_topic
    accepted, rejected = scaled_sample(20)
    thread, box = produce_in_background(accepted, rejected, topic, dlq)
    until(lambda: messages_in(topic) >= len(accepted) // 10, service="first acknowledged trips", timeout=120)
    assert thread.is_alive(), "the registry must die mid-produce"
    kill9("schema_registry")
    try:
        thread.join(400)
        assert "report" in box, box  # the schema id is known: no registry needed to go on
    finally:
        restart("schema_registry")
    report = box["report"]
    assert report.delivered == len(accepted) and report.dlq_delivered == len(rejected)
    ids = topic_trip_ids(topic, len(accepted))
    assert len(ids) == len(accepted) and not ids.duplicated().any() and set(ids) == set(accepted["trip_id"])


# --- the stream: the broker, Cassandra or the registry down under it; its driver killed three times ------------------

BATCH = 5000  # maxOffsetsPerTrigger: the 28k-trip sample streams in six micro-batches (each costs ~30 s on a busy box)


@pytest.fixture(scope="module")
def sample_topic(stack):
    """The real yellow 2021-01 sample produced into a topic of this module; yields (topic, report)."""
    import uuid

    from lab.pipeline import produce, schemas, tables, topics

    topic = f"t-faults-sample-{uuid.uuid4().hex[:8]}"
    report = produce.produce("yellow", "2021-01", topic=topic, dlq=f"{topic}-dlq", progress=False)
    tables.apply()
    yield topic, report
    topics.delete_topics([topic, f"{topic}-dlq"])
    schemas.delete_subject(config.subject(topic))


@pytest.fixture(scope="module")
def expected():
    from lab.pipeline import truth

    return truth.aggregate(truth.accepted("yellow", "2021-01"))


def end_offsets(topic: str) -> int:
    return messages_in(topic)


def caught_up(running, topic: str, total: int) -> bool:
    """True once the query has committed a batch ending at the topic's end, or has died (then check() says why)."""
    import json

    q = running.windows
    if not q.isActive:
        return True
    p = q.lastProgress
    if not p or not p["sources"]:
        return False
    end = p["sources"][0]["endOffset"]
    end = json.loads(end) if isinstance(end, str) else end
    return sum(int(v) for v in end.get(topic, {}).values()) >= total


def stream_through_a_fault(spark, topic: str, total: int, name: str, checkpoints: Path, fault) -> list[str]:
    """Stream the topic in small micro-batches; call `fault()` after two are committed; let the query ride it out,
    or, when it stops, restart it from its checkpoint. Returns notes on what happened (for the failure message)."""
    from dataclasses import replace

    from lab.errors import StreamError
    from lab.pipeline import driver, stream, tables
    from lab.wait import until

    tables.truncate(tables.WINDOW_TABLES)
    job = stream.Job(
        topic=topic,
        trigger="1 second",
        max_offsets_per_trigger=BATCH,
        watermark="2 days",
        name=name,
        checkpoint_root=str(checkpoints),
    )
    running = stream.start(job, spark)
    notes = []
    try:
        until(
            lambda: driver.committed_batches(job) >= 2 or not running.windows.isActive,
            service=f"{name}: two batches",
            timeout=300,
            interval=0.2,
        )
        running.check()
        assert not caught_up(running, topic, total), "the fault must come mid-stream"
        notes.append(f"fault after {driver.committed_batches(job)} committed batches: {fault()}")
        until(lambda: caught_up(running, topic, total), service=f"{name} to the end of the topic", timeout=600)
        running.check()
        notes.append("the query rode it out")
    except StreamError as exc:
        notes.append(f"the query stopped: {exc}"[:600])
        assert "Traceback" not in str(exc).split("--- Spark's error ---")[0]
        stream.start(replace(job, trigger="availableNow", max_offsets_per_trigger=None), spark).await_done(600)
        notes.append("restarted from its checkpoint (availableNow)")
    finally:
        running.stop()
    print(f"{name}: " + "; ".join(notes))  # shown with -s: which way the job went
    return notes


def kill_and_restart(name: str):
    def fault() -> str:
        kill9(name)
        restart(name)
        return f"{name} killed (SIGKILL) and restarted"

    return fault


@pytest.mark.spark
@pytest.mark.timeout(1200)
def test_broker_restarted_under_a_running_stream_tables_end_exact(sample_topic, expected, spark, tmp_path):
    from lab.pipeline import truth

    topic, report = sample_topic
    notes = stream_through_a_fault(spark, topic, report.delivered, "faults_broker", tmp_path, kill_and_restart("kafka"))
    result = truth.check(expected)
    assert result.ok, "\n".join([*notes, result.summary()])


@pytest.mark.spark
@pytest.mark.timeout(1200)
@pytest.mark.parametrize("how", ["kill -9", "restart"])
def test_cassandra_down_under_a_running_stream_tables_end_exact(sample_topic, expected, spark, tmp_path, how):
    from lab.pipeline import truth
    from lab.services import cassandra

    def graceful() -> str:
        cassandra.stop()
        restart("cassandra")
        return "cassandra stopped and started again"

    topic, report = sample_topic
    fault = kill_and_restart("cassandra") if how == "kill -9" else graceful
    notes = stream_through_a_fault(spark, topic, report.delivered, "faults_cassandra", tmp_path, fault)
    result = truth.check(expected)
    assert result.ok, "\n".join([*notes, result.summary()])


@pytest.mark.spark
@pytest.mark.timeout(1200)
def test_cassandra_restarted_between_micro_batches_the_job_resumes_exact(sample_topic, expected, spark, tmp_path):
    """The query stops cleanly, Cassandra restarts while no batch runs, the job resumes in the same SparkSession
    (whose connector and decoding workers hold sessions to the Cassandra that went away)."""
    from dataclasses import replace

    from lab.pipeline import driver, stream, tables, truth
    from lab.services import cassandra
    from lab.wait import until

    topic, _ = sample_topic
    tables.truncate(tables.WINDOW_TABLES)
    job = stream.Job(
        topic=topic,
        trigger="1 second",
        max_offsets_per_trigger=BATCH,
        watermark="2 days",
        name="faults_between",
        checkpoint_root=str(tmp_path),
    )
    running = stream.start(job, spark)
    try:
        until(
            lambda: driver.committed_batches(job) >= 2 or not running.windows.isActive,
            service="two batches",
            timeout=300,
            interval=0.2,
        )
        running.check()
    finally:
        running.stop()
    cassandra.stop()
    restart("cassandra")
    stream.start(replace(job, trigger="availableNow", max_offsets_per_trigger=None), spark).await_done(600)
    result = truth.check(expected)
    assert result.ok, result.summary()


@pytest.mark.spark
@pytest.mark.timeout(1800)
def test_driver_killed_three_times_in_one_replay_ends_exact(sample_topic, expected, tmp_path):
    """kill -9 of the driver process group: after a commit, in the middle of a batch, and after two more commits."""
    import os
    import signal

    from lab.pipeline import driver, stream, tables, truth
    from lab.wait import until

    topic, report = sample_topic
    tables.truncate(tables.WINDOW_TABLES)
    job = stream.Job(
        topic=topic,
        trigger="1 second",
        max_offsets_per_trigger=BATCH,
        watermark="2 days",
        name="faults_thrice",
        checkpoint_root=str(tmp_path),
    )
    offsets = job.checkpoint(job.name) / "offsets"

    def planned() -> int:
        return sum(1 for p in offsets.glob("*") if p.name.isdigit()) if offsets.is_dir() else 0

    def killed_mid_batch(proc) -> int:
        until(
            lambda: planned() > driver.committed_batches(job) > 0,
            service="a batch in flight",
            timeout=300,
            interval=0.05,
            alive=lambda: None if proc.poll() is None else f"driver exited ({proc.returncode})",
        )
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)
        return driver.committed_batches(job)

    kills = []
    for point in ("after commit 1", "mid-batch", "after two more commits"):
        proc = driver.driver(job)
        try:
            if point == "mid-batch":
                kills.append((point, killed_mid_batch(proc), planned()))
            else:
                want = 1 if point == "after commit 1" else driver.committed_batches(job) + 2
                kills.append((point, driver.kill_after(proc, job, want), planned()))
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
    assert kills[1][2] > kills[1][1], f"the second kill must land inside a batch: {kills}"
    assert kills[-1][1] * BATCH < report.delivered, f"the last kill must come before the end: {kills}"
    driver.finish(job)
    result = truth.check(expected)
    assert result.ok, f"{kills}\n{result.summary()}"


@pytest.mark.spark
@pytest.mark.timeout(1200)
def test_registry_down_when_the_stream_meets_a_new_schema_id_it_waits_and_ends_exact(trips_topic, spark, tmp_path):
    """v1 trips stream; then the registry dies and v2 trips (an id the job has never seen) arrive. The job waits
    for the registry (it does not quarantine them), and once the registry is back it ends exact, nothing quarantined."""
    import time

    from confluent_kafka import Producer

    from lab.pipeline import produce, schemas, stream, tables, truth, wire
    from lab.services import kafka
    from lab.wait import until

    topic, dlq = trips_topic
    accepted, _ = data.validate(data.load("yellow", "2021-01", limit=3000), "2021-01")
    first, later = accepted.iloc[:2000], accepted.iloc[2000:]
    produce.produce_frame(first, topic=topic, dlq=dlq, progress=False)
    tables.truncate(tables.WINDOW_TABLES)
    job = stream.Job(
        topic=topic, trigger="1 second", watermark="2 days", name="faults_registry", checkpoint_root=str(tmp_path)
    )
    running = stream.start(job, spark)
    try:
        until(lambda: caught_up(running, topic, len(first)), service="the v1 trips", timeout=300)
        running.check()
        v2 = schemas.load(schemas.V2)
        v2_id = schemas.register(config.subject(topic), v2)
        kill9("schema_registry")
        try:
            producer = Producer({"bootstrap.servers": kafka.bootstrap_servers()})
            for value, zone in zip(wire.encode_frames(later, v2, v2_id), later["pu_location_id"]):
                producer.produce(topic, value, str(zone))
            assert producer.flush(60) == 0
            # a batch now holds records of an id the job cannot look up: it waits, and says nothing is lost
            until(lambda: running.windows.status["isTriggerActive"], service="the batch with v2 trips", timeout=120)
            time.sleep(10)  # the fault lasts a while on purpose (this is the fault, not a readiness wait)
            assert running.windows.isActive and not caught_up(running, topic, len(accepted))
        finally:
            restart("schema_registry")
        until(lambda: caught_up(running, topic, len(accepted)), service="the v2 trips", timeout=600)
        running.check()
    finally:
        running.stop()
    q = tables.read("quarantine")
    assert q.empty or not (q["topic"] == topic).any(), "a record was quarantined because the registry was down"
    result = truth.check(truth.aggregate(accepted))
    assert result.ok, result.summary()
