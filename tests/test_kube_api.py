"""The kind driver against a fake API server that refuses what a real one refuses (tests/kubefake.py).

The REAL render of k8s/overlays/kind (`kubectl kustomize`) goes through it, after an install file made of Strimzi's
real CRDs and its operator's objects. No cluster, no Docker: only `kind` itself (create, load) is replaced.
"""

from __future__ import annotations

import pytest
from kubefake import ApiError, FakeCluster, strimzi_install

from lab import config
from lab.deploy import kind, kube
from lab.errors import KindError

SCHEMAS = config.shared_dir() / "k8s-schemas" / f"strimzi-{config.STRIMZI_VERSION}"
NO_HELM = [s for s in config.KIND_COMPONENTS if s != "grafana"]  # the Grafana chart needs helm and the chart repository


@pytest.fixture
def cluster(monkeypatch):
    """A fresh fake cluster behind lab.kube; kind's own commands (create, load) are no-ops."""
    assert SCHEMAS.is_dir(), f"Strimzi CRDs missing: expected {SCHEMAS} (the shared folder beside the clone)"
    for name in ("preflight", "create_cluster"):
        monkeypatch.setattr(kind, name, lambda: None)
    monkeypatch.setattr(kind, "load_image", lambda image: None)
    monkeypatch.setattr(
        kind,
        "strimzi_manifests",
        lambda namespace=config.NAMESPACE: kind.set_namespace(strimzi_install(SCHEMAS), namespace),
    )
    fake = FakeCluster()
    kube.use_client(fake)
    yield fake
    kube.use_client(None)


def test_up_deploys_the_real_render_on_an_empty_cluster(cluster):
    """Fails when anything namespaced (Strimzi's operator first) is applied before the Namespace `kappa` exists."""
    assert kube.up(NO_HELM, timeout=5) == NO_HELM
    assert cluster.applied.index(f"Namespace/{config.NAMESPACE}") == 0
    assert ("apps/v1", "Deployment", config.NAMESPACE, "strimzi-cluster-operator") in cluster.objects
    rendered = {f"{d['kind']}/{d['metadata']['name']}" for d in kube.manifests(NO_HELM)}
    assert rendered <= set(cluster.applied)
    assert all(row["ready"] for row in kube.status() if row["service"] != "grafana"), kube.status()


def test_the_fake_refuses_what_a_real_server_refuses(cluster):
    """A namespaced object without its Namespace: 404; a custom resource without its CRD: unknown kind."""
    with pytest.raises(ApiError, match="NotFound") as err:
        cluster.apply(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}, namespace="kappa", field_manager="t"
        )
    assert 'namespaces \\"kappa\\" not found' in err.value.body
    with pytest.raises(KindError, match="applying ConfigMap/x failed: .*namespaces .*kappa.* not found"):
        kube.apply([{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}])
    kube.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": config.NAMESPACE}}])
    with pytest.raises(KindError, match="does not know Kafka"):
        kube.apply([{"apiVersion": kube.STRIMZI_API, "kind": "Kafka", "metadata": {"name": "lab"}, "spec": {}}])


def test_custom_resources_wait_for_their_operator(cluster):
    """Without Strimzi's operator, the Kafka is accepted once the CRD is there but never becomes Ready."""
    crds = [d for d in strimzi_install(SCHEMAS) if d["kind"] == "CustomResourceDefinition"]
    kafka = [d for d in kube.manifests(["kafka"]) if d["kind"] in ("Namespace", "Kafka", "KafkaNodePool")]
    kube.apply(crds + kafka)
    with pytest.raises(KindError, match=r"Kafka/lab in namespace kappa not ready after .*no conditions yet"):
        kube.wait_for(kube.STRIMZI_API, "Kafka", config.KAFKA_CLUSTER, timeout=0.2, interval=0.05)


def test_a_failing_schema_job_stops_up_at_once(monkeypatch, cluster):
    cluster.failing_jobs.add("cassandra-schema")
    with pytest.raises(KindError, match=r"Job/cassandra-schema .* failed: .*BackoffLimitExceeded") as err:
        kube.up(["kafka", "cassandra"], timeout=30)
    assert "backoff limit" in str(err.value)


def test_a_deployment_that_never_becomes_available_names_itself(cluster):
    cluster.stuck.add("apicurio-registry")
    with pytest.raises(
        KindError,
        match=r"(?s)Deployment/apicurio-registry .*not ready.*0/1 replicas.*Available=False"
        r".*ErrImageNeverPull",
    ):
        kube.up(["kafka", "schema_registry"], timeout=0.5)


def test_a_pod_may_override_an_in_cluster_address(monkeypatch):
    """LAB_SERVICE_<NAME> replaces config.KIND_SERVICES in a pod (tests/test_images.py points pods at the stack)."""
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    monkeypatch.delenv("LAB_SERVICE_REGISTRY", raising=False)
    assert kube.endpoint("schema_registry") == f"http://{config.KIND_SERVICES['registry']}/apis/ccompat/v7"
    monkeypatch.setenv("LAB_SERVICE_REGISTRY", "127.0.0.1:8381")
    monkeypatch.setenv("LAB_SERVICE_KAFKA", "127.0.0.1:9392")
    assert kube.endpoint("schema_registry") == "http://127.0.0.1:8381/apis/ccompat/v7"
    assert kube.endpoint("kafka") == "127.0.0.1:9392"


def test_the_apps_are_deployed_idle_and_start_on_demand(cluster):
    """The in-cluster Spark job and producer write nothing until started (the notebooks count what is in taxi-trips)."""
    kube.up(NO_HELM, timeout=5)
    spark = cluster.get("apps/v1", "Deployment", "spark-stream", config.NAMESPACE)
    producer = cluster.get("batch/v1", "Job", "producer", config.NAMESPACE)
    assert spark["spec"]["replicas"] == 0 and producer["spec"]["suspend"] is True
    assert "suspended" in kube.ready(producer)[1]
    kube.start_app("spark", timeout=5, interval=0.01)
    kube.start_app("producer", timeout=5, interval=0.01)
    assert cluster.get("apps/v1", "Deployment", "spark-stream", config.NAMESPACE)["status"]["availableReplicas"] == 1
    assert cluster.get("batch/v1", "Job", "producer", config.NAMESPACE)["spec"]["suspend"] is False
    kube.stop_app("spark")
    kube.stop_app("producer")
    assert cluster.get("apps/v1", "Deployment", "spark-stream", config.NAMESPACE)["spec"]["replicas"] == 0
    assert cluster.get("batch/v1", "Job", "producer", config.NAMESPACE)["spec"]["suspend"] is True
    with pytest.raises(KindError, match="unknown app"):
        kube.start_app("cassandra")


def test_a_producer_that_fails_stops_start_app_at_once(cluster):
    kube.up(["kafka", "schema_registry", "producer"], timeout=5)
    cluster.failing_jobs.add("producer")
    with pytest.raises(KindError, match=r"Job/producer did not start: .*BackoffLimitExceeded"):
        kube.start_app("producer", timeout=30, interval=0.01)


# --- the same cluster behind a real HTTP API: lab.kubeclient.KubeClient and the kubernetes client talk to it ---------


@pytest.fixture
def api(cluster, monkeypatch, tmp_path):
    """The fake cluster served on 127.0.0.1; lab.kube builds its real KubeClient from a kubeconfig pointing there."""
    from kubeapi import FakeApiServer
    from kubernetes.config import kube_config

    with FakeApiServer(cluster) as server:
        path = str(server.kubeconfig(tmp_path / "kubeconfig", f"kind-{config.KIND_CLUSTER}"))
        monkeypatch.setenv("KUBECONFIG", path)
        monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", path)  # read from env once, at import
        kube.use_client(None)
        yield cluster
        kube.use_client(None)


def test_up_through_the_real_kubernetes_client(api):
    """Discovery, server-side apply, the rediscovery of just-applied CRDs, GETs and 404s all go over HTTP."""
    from lab.deploy.kubeclient import KubeClient

    assert kube.up(NO_HELM, timeout=10) == NO_HELM
    assert isinstance(kube.client(), KubeClient)
    assert api.applied.index(f"Namespace/{config.NAMESPACE}") == 0
    assert all(row["ready"] for row in kube.status() if row["service"] != "grafana"), kube.status()
    assert [r["kind"] for r in kube.strimzi_resources()].count("KafkaTopic") == 2
    assert kube.client().get("apps/v1", "Deployment", "nothing-here", config.NAMESPACE) is None


def test_the_real_client_reports_the_api_refusal(api):
    with pytest.raises(KindError, match=r'applying ConfigMap/x failed: .*namespaces \\"kappa\\" not found'):
        kube.apply([{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}])
    with pytest.raises(KindError, match="does not know Kafka"):
        kube.apply([{"apiVersion": kube.STRIMZI_API, "kind": "Kafka", "metadata": {"name": "lab"}, "spec": {}}])


def test_a_failing_job_over_http_names_itself_with_its_events(api):
    api.failing_jobs.add("cassandra-schema")
    with pytest.raises(
        KindError,
        match=r"(?s)Job/cassandra-schema .* failed: .*BackoffLimitExceeded.*recent events:"
        r".*Warning BackoffLimitExceeded",
    ):
        kube.up(["kafka", "cassandra"], timeout=30)


def test_stop_on_kind_scales_a_service_to_zero_and_kafka_says_why_not(cluster):
    """lifecycle.stop on kind: the registry's Deployment and Cassandra's StatefulSet go to 0 replicas (the fake
    reconciles status.replicas); Kafka, run by Strimzi, cannot be stopped alone and says what to do instead."""
    from lab.services import cassandra, kafka, schema_registry

    kube.up(NO_HELM, timeout=5)
    config.use("kind")
    try:
        assert schema_registry.stop() is True
        assert cassandra.stop() is True
        with pytest.raises(KindError, match="lab down --target kind"):
            kafka.stop()
    finally:
        config.use("local")
    registry = cluster.get("apps/v1", "Deployment", "apicurio-registry", config.NAMESPACE)
    ring = cluster.get("apps/v1", "StatefulSet", "cassandra", config.NAMESPACE)
    assert registry["spec"]["replicas"] == 0 and registry["status"]["replicas"] == 0
    assert ring["spec"]["replicas"] == 0 and ring["status"]["replicas"] == 0
    assert cluster.get("apps/v1", "Deployment", "prometheus", config.NAMESPACE)["spec"].get("replicas", 1) == 1
