"""Unit tests of the kind driver (lab.kube, lab.kind) with a fake API client: ordering, waits, errors. No cluster."""

from __future__ import annotations

import pytest

from lab import config
from lab.deploy import kind, kube
from lab.errors import KindError, ManifestError, ToolMissing


class FakeClient:
    """Records applies; `get` answers from scripted object states (the last one repeats)."""

    def __init__(self, states: dict | None = None, fail_on: str | None = None):
        self.applied: list[str] = []
        self.states = {k: list(v) for k, v in (states or {}).items()}
        self.gets: list[str] = []
        self.fail_on = fail_on

    def apply(self, doc, *, namespace, field_manager):
        assert field_manager == kube.FIELD_MANAGER and namespace == config.NAMESPACE
        ref = f"{doc['kind']}/{doc['metadata']['name']}"
        if ref == self.fail_on:
            raise RuntimeError("admission webhook denied the request")
        self.applied.append(ref)
        return doc

    def get(self, api_version, kind_, name, namespace):
        ref = f"{kind_}/{name}"
        self.gets.append(ref)
        seq = self.states.get(ref)
        if not seq:
            return None
        return seq.pop(0) if len(seq) > 1 else seq[0]

    def events(self, kind_, name, namespace):
        return [f"Warning FailedScheduling: 0/1 nodes are available for {name}"]

    def pods(self, selector, namespace):
        return ["cassandra-0"] if "cassandra" in selector else []

    def log(self, pod, namespace, tail):
        return f"last {tail} lines of {pod}"


def doc(kind_, name, api="v1", **extra):
    return {"apiVersion": api, "kind": kind_, "metadata": {"name": name, **extra}}


def deployment(name, available, replicas=1):
    return {
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {"replicas": replicas},
        "status": {"availableReplicas": available, "updatedReplicas": available},
    }


def strimzi(kind_, name, ready_status, message=None):
    cond = {"type": "Ready", "status": ready_status, "reason": "Pending" if message else None, "message": message}
    return {"kind": kind_, "metadata": {"name": name}, "status": {"conditions": [cond]}}


def job(name, condition=None, message=""):
    conds = [{"type": condition, "status": "True", "message": message}] if condition else []
    return {"kind": "Job", "metadata": {"name": name}, "status": {"conditions": conds}}


@pytest.fixture
def fake(monkeypatch):
    client = FakeClient()
    kube.use_client(client)
    yield client
    kube.use_client(None)


def use(states=None, fail_on=None):
    client = FakeClient(states, fail_on)
    kube.use_client(client)
    return client


def teardown_function():
    kube.use_client(None)


def test_apply_orders_dependencies_first_and_jobs_last(fake):
    docs = [
        doc("Job", "cassandra-schema", "batch/v1"),
        doc("Kafka", "lab", kube.STRIMZI_API),
        doc("Deployment", "prometheus", "apps/v1"),
        doc("ConfigMap", "prometheus-config"),
        doc("CustomResourceDefinition", "kafkas.kafka.strimzi.io", "apiextensions.k8s.io/v1"),
        doc("Namespace", "kappa"),
        doc("Secret", "cassandra-auth"),
    ]
    assert kube.apply(docs) == fake.applied
    assert fake.applied == [
        "Namespace/kappa",
        "CustomResourceDefinition/kafkas.kafka.strimzi.io",
        "ConfigMap/prometheus-config",
        "Secret/cassandra-auth",
        "Deployment/prometheus",
        "Kafka/lab",
        "Job/cassandra-schema",
    ]


def test_apply_failure_names_the_object():
    use(fail_on="Deployment/prometheus")
    with pytest.raises(KindError, match=r"applying Deployment/prometheus failed: .*webhook denied"):
        kube.apply([doc("ConfigMap", "x"), doc("Deployment", "prometheus", "apps/v1")])


@pytest.mark.parametrize(
    "obj, expected",
    [
        (None, False),
        (deployment("d", 0), False),
        (deployment("d", 1), True),
        ({"kind": "StatefulSet", "spec": {"replicas": 1}, "status": {"readyReplicas": 1, "updatedReplicas": 1}}, True),
        ({"kind": "StatefulSet", "spec": {"replicas": 1}, "status": {"replicas": 1}}, False),
        (strimzi("Kafka", "lab", "False", "waiting for broker pods"), False),
        (strimzi("Kafka", "lab", "True"), True),
        ({"kind": "Kafka", "status": {}}, False),
        (job("j"), False),
        (job("j", "Complete"), True),
        (job("j", "Failed"), False),
        (
            {"kind": "CustomResourceDefinition", "status": {"conditions": [{"type": "Established", "status": "True"}]}},
            True,
        ),
    ],
)
def test_ready_reads_the_real_condition(obj, expected):
    assert kube.ready(obj)[0] is expected


def test_ready_explains_the_status():
    ok, text = kube.ready(strimzi("Kafka", "lab", "False", "waiting for broker pods"))
    assert not ok and "Ready=False" in text and "waiting for broker pods" in text
    assert "not found" in kube.ready(None)[1]
    assert "0/1 replicas ready" in kube.ready(deployment("d", 0))[1]


def test_wait_for_polls_until_ready():
    client = use({"Kafka/lab": [None, strimzi("Kafka", "lab", "False", "starting"), strimzi("Kafka", "lab", "True")]})
    obj = kube.wait_for(kube.STRIMZI_API, "Kafka", "lab", timeout=5, interval=0.001)
    assert kube.ready(obj)[0] and client.gets.count("Kafka/lab") == 3


def test_wait_timeout_names_object_status_and_events():
    use({"StatefulSet/cassandra": [{"kind": "StatefulSet", "spec": {"replicas": 1}, "status": {"readyReplicas": 0}}]})
    with pytest.raises(KindError) as err:
        kube.wait_for("apps/v1", "StatefulSet", "cassandra", timeout=0.05, interval=0.01)
    text = str(err.value)
    assert "StatefulSet/cassandra" in text and config.NAMESPACE in text and "not ready after" in text
    assert "0/1 replicas ready" in text and "FailedScheduling" in text


def test_failed_job_stops_the_wait_at_once():
    client = use({"Job/cassandra-schema": [job("cassandra-schema", "Failed", "BackoffLimitExceeded")]})
    with pytest.raises(KindError, match=r"Job/cassandra-schema .* failed.*BackoffLimitExceeded"):
        kube.wait_for("batch/v1", "Job", "cassandra-schema", timeout=30, interval=0.001)
    assert len(client.gets) <= 2  # no waiting out the 30 s


def test_wait_ready_waits_on_every_object_of_a_service_in_order():
    client = use(
        {
            "StatefulSet/cassandra": [
                {"kind": "StatefulSet", "spec": {"replicas": 1}, "status": {"readyReplicas": 1, "updatedReplicas": 1}}
            ],
            "Job/cassandra-schema": [job("cassandra-schema"), job("cassandra-schema", "Complete")],
        }
    )
    kube.wait_ready("cassandra", timeout=5, interval=0.001)
    assert client.gets[0] == "StatefulSet/cassandra" and client.gets[-1] == "Job/cassandra-schema"
    with pytest.raises(KindError, match="unknown service"):
        kube.wait_ready("zookeeper")


def test_install_strimzi_waits_for_crds_and_operator():
    crd = doc("CustomResourceDefinition", "kafkas.kafka.strimzi.io", "apiextensions.k8s.io/v1")
    established = {
        "kind": "CustomResourceDefinition",
        "status": {"conditions": [{"type": "Established", "status": "True"}]},
    }
    client = use(
        {
            "CustomResourceDefinition/kafkas.kafka.strimzi.io": [None, established],
            "Deployment/strimzi-cluster-operator": [
                deployment("strimzi-cluster-operator", 0),
                deployment("strimzi-cluster-operator", 1),
            ],
        }
    )
    kube.install_strimzi(timeout=5, docs=[doc("Deployment", "strimzi-cluster-operator", "apps/v1"), crd])
    assert client.applied == ["CustomResourceDefinition/kafkas.kafka.strimzi.io", "Deployment/strimzi-cluster-operator"]
    assert client.gets.index("Deployment/strimzi-cluster-operator") > client.gets.index(
        "CustomResourceDefinition/kafkas.kafka.strimzi.io"
    )


def test_up_installs_the_operator_before_custom_resources(monkeypatch):
    calls = []
    monkeypatch.setattr(kind, "preflight", lambda: calls.append("preflight"))
    monkeypatch.setattr(kind, "create_cluster", lambda: calls.append("create"))
    monkeypatch.setattr(kind, "load_image", lambda image: calls.append(f"load {image}"))
    monkeypatch.setattr(kind, "strimzi_manifests", lambda: [doc("Deployment", "strimzi-cluster-operator", "apps/v1")])
    monkeypatch.setattr(
        kind,
        "render",
        lambda overlay="kind": [
            doc("Kafka", "lab", kube.STRIMZI_API),
            doc("ConfigMap", "kafka-metrics"),
            doc("Deployment", "prometheus", "apps/v1", labels={"app.kubernetes.io/name": "prometheus"}),
            doc("Deployment", "spark-stream", "apps/v1", labels={"app.kubernetes.io/name": "spark-stream"}),
        ],
    )
    monkeypatch.setattr(kind, "grafana_manifests", lambda: pytest.fail("grafana was not asked for"))
    ready_dep = deployment("x", 1)
    states = {
        "Deployment/strimzi-cluster-operator": [ready_dep],
        "Kafka/lab": [strimzi("Kafka", "lab", "True")],
        "KafkaTopic/taxi-trips": [strimzi("KafkaTopic", "t", "True")],
        "KafkaTopic/taxi-trips-dlq": [strimzi("KafkaTopic", "d", "True")],
        "Deployment/spark-stream": [ready_dep],
    }
    client = use(states)
    assert kube.up(["spark", "kafka"], timeout=1) == ["kafka", "spark"]  # start order, whatever the order asked
    assert calls[:3] == ["preflight", "create", f"load {config.SPARK_IMAGE}"]
    assert client.applied[0] == "Deployment/strimzi-cluster-operator"
    # shared ConfigMap first, Deployments before custom resources; prometheus belongs to a service not asked for
    assert client.applied[1:] == ["ConfigMap/kafka-metrics", "Deployment/spark-stream", "Kafka/lab"]


def test_up_rejects_unknown_services_before_touching_anything(monkeypatch):
    monkeypatch.setattr(kind, "preflight", lambda: pytest.fail("preflight ran"))
    with pytest.raises(KindError, match="unknown service.*zookeeper"):
        kube.up(["kafka", "zookeeper"])


def test_up_fails_with_the_object_that_is_not_ready(monkeypatch):
    for name in ("preflight", "create_cluster"):
        monkeypatch.setattr(kind, name, lambda: None)
    monkeypatch.setattr(kind, "strimzi_manifests", lambda: [])
    monkeypatch.setattr(kind, "render", lambda overlay="kind": [doc("Kafka", "lab", kube.STRIMZI_API)])
    use(
        {
            "Deployment/strimzi-cluster-operator": [deployment("o", 1)],
            "Kafka/lab": [strimzi("Kafka", "lab", "False", "Pod lab-dual-role-0 is Pending")],
        }
    )
    with pytest.raises(KindError, match=r"Kafka/lab .*not ready.*Pending"):
        kube.up(["kafka"], timeout=0.05)


def test_service_of_assigns_objects():
    assert kube.service_of(doc("KafkaTopic", "t", kube.STRIMZI_API)) == "kafka"
    assert kube.service_of(doc("ConfigMap", "grafana-dashboards", labels={"app.kubernetes.io/name": "grafana"})) is None
    assert (
        kube.service_of(
            doc("Job", "cassandra-schema", "batch/v1", labels={"app.kubernetes.io/name": "cassandra-schema"})
        )
        == "cassandra"
    )
    assert (
        kube.service_of(
            doc("Deployment", "apicurio-registry", "apps/v1", labels={"app.kubernetes.io/name": "apicurio-registry"})
        )
        == "schema_registry"
    )


def test_status_and_logs(fake):
    rows = kube.status()
    assert {r["service"] for r in rows} == set(kube.READY) and not any(r["ready"] for r in rows)
    assert "last 5 lines of cassandra-0" in kube.logs("cassandra", tail=5)
    assert "no pods" in kube.logs("grafana")
    with pytest.raises(KindError, match="unknown service"):
        kube.logs("nope")


def test_endpoints_on_the_host_and_in_the_cluster(monkeypatch):
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    assert kube.endpoint("kafka") == f"127.0.0.1:{config.KIND_HOST_PORTS['kafka_bootstrap']}"
    assert kube.endpoint("schema_registry") == f"http://127.0.0.1:{config.KIND_HOST_PORTS['registry']}/apis/ccompat/v7"
    assert kube.endpoint("cassandra") == f"127.0.0.1:{config.KIND_HOST_PORTS['cassandra_cql']}"
    assert kube.endpoint("grafana") == f"http://127.0.0.1:{config.KIND_HOST_PORTS['grafana']}"
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    assert kube.endpoint("kafka") == config.KIND_SERVICES["kafka"]
    assert kube.endpoint("schema_registry") == f"http://{config.KIND_SERVICES['registry']}/apis/ccompat/v7"


def test_set_namespace_rewrites_strimzi_install_file():
    docs = [
        doc("RoleBinding", "strimzi", "rbac.authorization.k8s.io/v1", namespace="myproject"),
        {
            **doc("ClusterRoleBinding", "strimzi", "rbac.authorization.k8s.io/v1"),
            "subjects": [{"kind": "ServiceAccount", "name": "strimzi-cluster-operator", "namespace": "myproject"}],
        },
        doc("CustomResourceDefinition", "kafkas.kafka.strimzi.io", "apiextensions.k8s.io/v1"),
    ]
    out = kind.set_namespace(docs, "kappa")
    assert out[0]["metadata"]["namespace"] == "kappa" and out[1]["subjects"][0]["namespace"] == "kappa"
    assert "namespace" not in out[2]["metadata"]


def test_secrets_are_generated_once(monkeypatch, tmp_path):
    monkeypatch.setattr(kind, "K8S", tmp_path)
    first = kind.secret_values("cassandra-auth")
    assert first["username"] == config.CASSANDRA_USER and len(first["password"]) >= 20
    assert first["password"] != first["admin-password"]
    assert kind.secret_values("cassandra-auth") == first  # stable across deploys
    assert (tmp_path / "overlays" / "kind" / ".secrets" / "grafana-admin.env").stat().st_mode & 0o077 == 0


def test_missing_tools_and_memory_say_what_to_do(monkeypatch):
    monkeypatch.setattr(kind.shutil, "which", lambda tool: None)
    with pytest.raises(ToolMissing, match="kind.sigs.k8s.io"):
        kind.require("kind")
    monkeypatch.setattr(kind.shutil, "which", lambda tool: f"/usr/bin/{tool}")
    monkeypatch.setattr(kind, "docker_memory_gib", lambda: 3.8)
    with pytest.raises(KindError, match=r"3\.8 GiB.*needs >= 8"):
        kind.preflight()


def test_the_preflight_checks_cpus_against_the_requests(monkeypatch):
    """B2: Docker's CPUs against what the render requests once Spark and the producer run (kind's own pods included);
    the real scheduler's verdict on the same arithmetic is in tests/k8s/test_kube_cluster.py."""
    monkeypatch.setattr(kind.shutil, "which", lambda tool: f"/usr/bin/{tool}")
    monkeypatch.setattr(kind, "docker_memory_gib", lambda: 7.7)
    monkeypatch.setattr(kind, "cpu_needed", lambda: 2550)  # the requests the review summed (d72f38c)
    monkeypatch.setattr(kind, "docker_cpus", lambda: 2)
    with pytest.raises(KindError, match=r"2 CPU\(s\), .* 2\.55 CPU .*Insufficient cpu.*colima start --cpu 3"):
        kind.preflight()
    monkeypatch.setattr(kind, "cpu_needed", lambda: 1970)
    kind.preflight()  # today's requests fit a 2-CPU Docker VM


def test_render_failure_is_a_manifest_error(tmp_path):
    (tmp_path / "kustomization.yaml").write_text("resources: [missing.yaml]\n")
    with pytest.raises(ManifestError, match="does not render"):
        kind.render(path=tmp_path)


class FakeResources:
    """DynamicClient.resources: knows kinds by name; the first lookup of `late` fails like a just-applied CRD."""

    def __init__(self, late=None):
        self.late, self.invalidated = late, 0

    def get(self, api_version, kind):
        from kubernetes.dynamic.exceptions import ResourceNotFoundError

        if kind == self.late and not self.invalidated:
            raise ResourceNotFoundError(f"no {kind}")
        if kind == "Unknown":
            raise ResourceNotFoundError(f"no {kind}")
        return type("Res", (), {"namespaced": kind not in ("ClusterRole", "Namespace"), "kind": kind})()

    def invalidate_cache(self):
        self.invalidated += 1


class FakeDynamic:
    def __init__(self, late=None):
        self.resources, self.calls = FakeResources(late), []

    def server_side_apply(self, res, body, namespace, field_manager, force_conflicts):
        self.calls.append((res.kind, body, namespace, field_manager, force_conflicts))
        return type("Out", (), {"to_dict": lambda self: body})()


def real_client(late=None):
    from lab.deploy.kubeclient import KubeClient

    c = object.__new__(KubeClient)
    c.dynamic = FakeDynamic(late)
    return c


def test_kubeclient_server_side_apply_sets_namespace_only_where_it_belongs():
    c = real_client()
    c.apply(doc("ConfigMap", "x"), namespace="kappa", field_manager="kappa-lab")
    c.apply(
        doc("ClusterRole", "strimzi", "rbac.authorization.k8s.io/v1", namespace="myproject"),
        namespace="kappa",
        field_manager="kappa-lab",
    )
    (k1, b1, ns1, fm, force), (k2, b2, ns2, _, _) = c.dynamic.calls
    assert (b1["metadata"]["namespace"], ns1, fm, force) == ("kappa", "kappa", "kappa-lab", True)
    assert "namespace" not in b2["metadata"] and ns2 is None


def test_kubeclient_rediscovers_a_just_installed_crd_and_names_unknown_kinds():
    c = real_client(late="Kafka")
    c.apply(doc("Kafka", "lab", kube.STRIMZI_API), namespace="kappa", field_manager="kappa-lab")
    assert c.dynamic.resources.invalidated == 1 and c.dynamic.calls[0][0] == "Kafka"
    with pytest.raises(KindError, match="does not know Unknown"):
        c.apply(doc("Unknown", "x", "example.com/v1"), namespace="kappa", field_manager="kappa-lab")


def test_kubeclient_without_a_cluster_says_what_to_do(monkeypatch, tmp_path):
    from lab.deploy.kubeclient import KubeClient

    empty = tmp_path / "kubeconfig"
    empty.write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
    monkeypatch.setenv("KUBECONFIG", str(empty))
    with pytest.raises(KindError, match="lab --target kind up"):
        KubeClient(f"kind-{config.KIND_CLUSTER}")


def test_a_pod_may_override_an_in_cluster_address(monkeypatch):
    """LAB_SERVICE_<NAME> replaces config.KIND_SERVICES in a pod (tests/stack/test_images.py points pods at the stack)."""
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    monkeypatch.delenv("LAB_SERVICE_REGISTRY", raising=False)
    assert kube.endpoint("schema_registry") == f"http://{config.KIND_SERVICES['registry']}/apis/ccompat/v7"
    monkeypatch.setenv("LAB_SERVICE_REGISTRY", "127.0.0.1:8381")
    monkeypatch.setenv("LAB_SERVICE_KAFKA", "127.0.0.1:9392")
    assert kube.endpoint("schema_registry") == "http://127.0.0.1:8381/apis/ccompat/v7"
    assert kube.endpoint("kafka") == "127.0.0.1:9392"
