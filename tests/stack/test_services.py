"""The real local services: ready, usable from the Python clients, restartable, and failing with useful errors."""

from __future__ import annotations

import json
import os
import socket
import time

import pytest

from lab import config
from lab.errors import PortInUse, ServiceStartError
from lab.pipeline import schemas
from lab.services import cassandra, kafka, prometheus, schema_registry
from lab.services import stack as lab_stack
from lab.services.process import port_listening
from lab.wait import until

pytestmark = pytest.mark.stack

V1 = {
    "type": "record",
    "name": "Probe",
    "namespace": "lab.test",
    "fields": [{"name": "id", "type": "string"}, {"name": "n", "type": "int"}],
}
V2 = {**V1, "fields": V1["fields"] + [{"name": "note", "type": ["null", "string"], "default": None}]}
INCOMPATIBLE = {**V1, "fields": [{"name": "id", "type": "int"}, {"name": "n", "type": "int"}]}


def test_every_service_is_running_and_ready(stack):
    rows = {r["name"]: r for r in lab_stack.status() if r["name"] in config.LOCAL_STACK}  # + the archive if it runs
    assert list(rows) == list(config.LOCAL_STACK)
    for name, row in rows.items():
        assert row["running"] and row["ready"], f"{name}: {row}"
        assert row["rss"] > 10 * 2**20, f"{name} has an implausible RSS: {row['rss']}"


@pytest.mark.parametrize(
    "name, line",
    [
        ("kafka", "Kafka Server started"),  # our log4j2 config reaches the log
        ("cassandra", "Starting listening for CQL clients"),  # our logback config reaches the log
        ("schema_registry", "KafkaSQL storage bootstrapped"),
    ],
)
def test_service_logs_show_the_startup_line(stack, name, line):
    text = lab_stack.service(name).process().log_file.read_text(errors="replace")
    current = text.rsplit("=== lab: starting", 1)[-1]  # the log is appended to at each start: look at the last one
    assert line in current, lab_stack.logs(name, 20)


def test_kafka_produce_consume_round_trip(topic):
    from confluent_kafka import Consumer, Producer

    sent = {f"key-{i}": f"value-{i}" for i in range(20)}
    producer = Producer({"bootstrap.servers": kafka.bootstrap_servers(), "enable.idempotence": True})
    for k, v in sent.items():
        producer.produce(topic, key=k, value=v)
    assert producer.flush(30) == 0, "messages still in flight after 30 s"
    consumer = Consumer(
        {
            "bootstrap.servers": kafka.bootstrap_servers(),
            "group.id": topic,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    got = {}
    deadline = time.monotonic() + 30
    try:
        while len(got) < len(sent) and time.monotonic() < deadline:
            msg = consumer.poll(1.0)
            if msg is not None and not msg.error():
                got[msg.key().decode()] = msg.value().decode()
    finally:
        consumer.close()
    assert got == sent


def test_registry_ccompat_round_trip_with_confluent_serdes(topic, subject):
    from confluent_kafka import Consumer, Producer
    from confluent_kafka.schema_registry import Schema
    from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
    from confluent_kafka.schema_registry.error import SchemaRegistryError
    from confluent_kafka.serialization import MessageField, SerializationContext

    client = schemas.client(cached=False)
    assert schemas.set_compatibility(subject, "BACKWARD") == "BACKWARD"
    ctx = SerializationContext(topic, MessageField.VALUE)
    producer = Producer({"bootstrap.servers": kafka.bootstrap_servers()})
    producer.produce(topic, value=AvroSerializer(client, json.dumps(V1))({"id": "a", "n": 1}, ctx))
    producer.produce(topic, value=AvroSerializer(client, json.dumps(V2))({"id": "b", "n": 2, "note": "v2"}, ctx))
    assert producer.flush(30) == 0
    assert client.get_versions(subject) == [1, 2]

    consumer = Consumer(
        {"bootstrap.servers": kafka.bootstrap_servers(), "group.id": topic, "auto.offset.reset": "earliest"}
    )
    consumer.subscribe([topic])
    decode, got = AvroDeserializer(client), []
    deadline = time.monotonic() + 30
    try:
        while len(got) < 2 and time.monotonic() < deadline:
            msg = consumer.poll(1.0)
            if msg is not None and not msg.error():
                assert msg.value()[0] == 0, "not the Confluent wire format (magic byte 0)"
                got.append(decode(msg.value(), ctx))
    finally:
        consumer.close()
    assert got == [{"id": "a", "n": 1}, {"id": "b", "n": 2, "note": "v2"}]

    with pytest.raises(SchemaRegistryError) as err:
        client.register_schema(subject, Schema(json.dumps(INCOMPATIBLE), "AVRO"))
    assert err.value.http_status_code == 409 and err.value.error_code == 409, err.value
    assert client.get_versions(subject) == [1, 2]


def test_registry_keeps_schemas_across_a_restart(stack, subject):
    from confluent_kafka.schema_registry import Schema

    schema_id = schemas.client(cached=False).register_schema(subject, Schema(json.dumps(V1), "AVRO"))
    old_pid = schema_registry.process().pid()
    assert schema_registry.stop()
    schema_registry.start()
    assert schema_registry.process().pid() != old_pid
    fresh = schemas.client(cached=False)  # no client-side cache
    latest = fresh.get_latest_version(subject)
    assert latest.schema_id == schema_id
    assert json.loads(fresh.get_schema(schema_id).schema_str)["name"] == "Probe"


def test_cassandra_answers_cql(stack, unique_name):
    session = cassandra.session()
    assert session.execute("SELECT release_version FROM system.local").one().release_version == config.CASSANDRA_VERSION
    ks = unique_name.replace("-", "_")[:48]
    session.execute(f"CREATE KEYSPACE {ks} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}}")
    try:
        session.execute(f"CREATE TABLE {ks}.kv (k text PRIMARY KEY, v int)")
        session.execute(f"INSERT INTO {ks}.kv (k, v) VALUES ('a', 1)")
        assert session.execute(f"SELECT v FROM {ks}.kv WHERE k = 'a'").one().v == 1
    finally:
        session.execute(f"DROP KEYSPACE {ks}")


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="VmLck is read from Linux's /proc")
def test_cassandra_does_not_lock_its_memory(stack):
    """Run as root, Cassandra's mlockall kept ~0.2 GiB more resident (lab.process.without_memory_lock)."""
    with open(f"/proc/{cassandra.process().pid()}/status") as f:
        locked = next(line for line in f if line.startswith("VmLck:"))
    assert locked.split()[1] == "0", f"Cassandra locked its memory ({locked.strip()}); `lab down` and start it again"


def test_prometheus_scrapes_kafka_and_cassandra(stack):
    jobs = ("kafka", "cassandra", "schema-registry")

    def all_up():  # polled: an earlier test may have just restarted the registry
        up = {r["metric"]["job"]: r["value"][1] for r in prometheus.query("up")}
        return up if all(up.get(j) == "1" for j in jobs) else None

    up = until(all_up, service="prometheus targets", timeout=60, interval=1)
    assert all(up[j] == "1" for j in jobs)
    assert prometheus.query("kafka_server_replicamanager_partitioncount"), "Kafka's JMX rules export nothing"


def test_up_twice_is_a_no_op(stack):
    before = {r["name"]: r["pid"] for r in lab_stack.status()}
    report = lab_stack.up()
    assert [r["started"] for r in report] == [False] * len(config.LOCAL_STACK)
    assert {r["name"]: r["pid"] for r in lab_stack.status()} == before


def _free_offset() -> int:
    """A port offset where every lab port is free (other engineers' stacks use other offsets)."""
    for offset in range(700, 2000, 37):
        if not any(port_listening(p + offset) for p in config.Ports().__dict__.values()):
            return offset
    raise AssertionError("no free port offset found")


@pytest.fixture
def other_lab(tmp_path, monkeypatch):
    """A second, empty LAB_HOME on a free port offset (the shared jars stay the same)."""
    monkeypatch.setenv("LAB_JARS", str(config.jars_dir()))
    monkeypatch.setenv("LAB_HOME", str(tmp_path / "lab"))
    monkeypatch.setenv("LAB_PORT_OFFSET", str(_free_offset()))
    return tmp_path / "lab"


def test_port_taken_raises_port_in_use_naming_port_and_holder(other_lab):
    port = config.ports().kafka
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        with pytest.raises(PortInUse) as err:
            kafka.start(timeout=30)
    assert err.value.port == port
    assert f"pid {os.getpid()}" in (err.value.holder or ""), err.value
    assert str(port) in str(err.value)
    assert not kafka.process().running()


def test_a_service_dying_at_start_reports_the_log_tail(other_lab, monkeypatch, tmp_path):
    resources = tmp_path / "resources"
    (resources / "cassandra").mkdir(parents=True)
    (resources / "jmx").mkdir()
    for rel in ("cassandra/logback.xml", "jmx/cassandra.yaml"):
        (resources / rel).write_text((cassandra.RESOURCES / rel).read_text())
    good = (cassandra.RESOURCES / "cassandra" / "cassandra.yaml.tmpl").read_text()
    (resources / "cassandra" / "cassandra.yaml.tmpl").write_text(good.replace("num_tokens: 1", "num_tokens: lots"))
    monkeypatch.setattr(cassandra, "RESOURCES", resources)
    with pytest.raises(ServiceStartError) as err:
        cassandra.start(timeout=120)
    assert err.value.service == "cassandra"
    assert "exited" in err.value.reason
    assert "num_tokens" in err.value.log_tail, err.value.log_tail
    assert not cassandra.process().running()
