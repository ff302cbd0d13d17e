"""Live checks of a deployed kind target (GitHub Actions kind workflow): every service answers from the host.

They need `lab up --target kind` first. Without a cluster they are skipped, except when LAB_REQUIRE_KIND=1 (the kind
workflow sets it), where a missing cluster fails them.
"""

from __future__ import annotations

import os
import uuid

import pytest
import requests

from lab import config
from lab.deploy import kind, kube
from lab.errors import LabError

pytestmark = pytest.mark.kind


@pytest.fixture(scope="module", autouse=True)
def cluster():
    config.use("kind")
    try:
        kube.client()
    except LabError as exc:
        if os.environ.get("LAB_REQUIRE_KIND") == "1":
            pytest.fail(f"LAB_REQUIRE_KIND=1 but no kind cluster: {exc}")
        pytest.skip(f"no kind cluster: {exc}")
    yield
    config.use("local")


def test_every_deployed_service_is_ready():
    rows = [r for r in kube.status() if r["service"] in kube.default_services() + ["strimzi"]]
    assert rows and all(r["ready"] for r in rows), [r for r in rows if not r["ready"]]


def test_kafka_round_trip_through_the_node_port():
    from confluent_kafka import Consumer, Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    topic = f"kind-live-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": kube.endpoint("kafka")})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    try:
        producer = Producer({"bootstrap.servers": kube.endpoint("kafka")})
        producer.produce(topic, key=b"k", value=b"hello kind")
        assert producer.flush(30) == 0
        consumer = Consumer(
            {"bootstrap.servers": kube.endpoint("kafka"), "group.id": topic, "auto.offset.reset": "earliest"}
        )
        consumer.subscribe([topic])
        msg = None
        for _ in range(30):
            msg = consumer.poll(1.0)
            if msg is not None and not msg.error():
                break
        consumer.close()
        assert msg is not None and msg.value() == b"hello kind"
    finally:
        admin.delete_topics([topic])


def test_registry_answers_the_confluent_api():
    r = requests.get(f"{kube.endpoint('schema_registry')}/subjects", timeout=10)
    assert r.status_code == 200 and isinstance(r.json(), list)


def test_cassandra_wants_the_generated_password():
    from cassandra.auth import PlainTextAuthProvider
    from cassandra.cluster import Cluster, NoHostAvailable

    host, port = kube.endpoint("cassandra").rsplit(":", 1)
    user, password = kube.cassandra_credentials()
    cluster = Cluster([host], port=int(port), auth_provider=PlainTextAuthProvider(user, password))
    try:
        keyspaces = {
            r.keyspace_name for r in cluster.connect().execute("SELECT keyspace_name FROM system_schema.keyspaces")
        }
        assert config.KEYSPACE in keyspaces
    finally:
        cluster.shutdown()
    default = Cluster([host], port=int(port), auth_provider=PlainTextAuthProvider("cassandra", "cassandra"))
    with pytest.raises(NoHostAvailable):
        default.connect()
    default.shutdown()


def test_grafana_uses_the_generated_admin_and_provisions_both_datasources():
    url = kube.endpoint("grafana")
    assert requests.get(f"{url}/api/datasources", auth=("admin", "admin"), timeout=10).status_code == 401
    r = requests.get(f"{url}/api/datasources", auth=kube.grafana_admin(), timeout=10)
    assert r.status_code == 200 and {d["uid"] for d in r.json()} >= {"prometheus", "cassandra"}
    dashboards = requests.get(f"{url}/api/search", params={"type": "dash-db"}, auth=kube.grafana_admin(), timeout=10)
    assert {"kappa-trips", "kappa-pipeline"} <= {d["uid"] for d in dashboards.json()}


def test_prometheus_scrapes_the_lab_jobs():
    targets = requests.get(f"{kube.endpoint('prometheus')}/api/v1/targets", timeout=10).json()["data"]["activeTargets"]
    up = {t["labels"]["job"] for t in targets if t["health"] == "up"}
    assert {"kafka", "cassandra", "schema-registry", "prometheus"} <= up, targets


def test_secrets_are_not_defaults():
    assert kind.secret_values("grafana-admin")["admin-password"] != "admin"
