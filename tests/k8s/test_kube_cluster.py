"""The kind target's driver (lab.deploy.kube) against the real Kubernetes control plane (marker k8s).

`lab --target kind up` applies the real render of k8s/overlays/kind after Strimzi's real install objects, told to
use the control plane's kubeconfig: only the kind cluster's creation and image loading are skipped. Admission, CRD
schemas, server-side apply, immutability, RBAC, the controllers and the scheduler are the real thing; no container
runs (kwok marks pods Running/Ready, Jobs' pods Succeeded) and the one stand-in is the status of Strimzi's custom
resources (lab.services.controlplane.standin_status). The node is a learner's 2-CPU/8-GiB Docker VM carrying kind's
own pods' requests. Nothing here connects to a pod or Service IP.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
import yaml

from lab import config
from lab.deploy import kind, kube
from lab.errors import KindError
from lab.wait import until

pytestmark = pytest.mark.k8s
NS = config.NAMESPACE


@pytest.fixture(scope="module")
def deployed(control_plane):
    """A fresh `lab --target kind up` on the control plane, as a learner types it. Yields (output, seconds).
    The driver points at the control plane for this module's tests only (env LAB_KUBECONFIG, LAB_KUBE_CONTEXT)."""
    saved = {k: os.environ.get(k) for k in ("LAB_KUBECONFIG", "LAB_KUBE_CONTEXT")}
    control_plane.use()
    kube.down()  # the namespace of an earlier run, if any
    t0 = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-m", "lab.cli", "--target", "kind", "up"],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ},
    )
    seconds = time.monotonic() - t0
    assert out.returncode == 0, f"lab --target kind up failed:\n{out.stdout}\n{out.stderr}"
    kube.use_client(None)
    yield out.stdout, seconds
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    kube.use_client(None)


def api():
    return kube.client()


def deployed_names(output: str) -> list[str]:
    line = next(x for x in output.splitlines() if x.startswith("kind: ") and " ready in " in x)
    return line.removeprefix("kind: ").split(" ready in ")[0].split(", ")


def test_lab_up_reaches_ready_on_the_real_control_plane(deployed):
    output, seconds = deployed
    names = deployed_names(output)
    expected = [n for n in config.KIND_COMPONENTS if n not in kube.skipped()]
    assert names == expected, output
    rows = [r for r in kube.status() if r["service"] in names]
    assert rows and all(r["ready"] for r in rows), rows
    # the one stand-in: Strimzi's resources' status, set only once the operator's Deployment is Available
    kafka = api().get(config.STRIMZI_API, "Kafka", config.KAFKA_CLUSTER, NS)
    (ready,) = [c for c in kafka["status"]["conditions"] if c["type"] == "Ready"]
    assert ready["reason"] == "StatusStandIn"
    operator = api().get("apps/v1", "Deployment", "strimzi-cluster-operator", NS)
    assert operator["status"]["availableReplicas"] == 1  # the real Deployment controller, pod Ready by kwok
    # Cassandra's claim bound to a static PV by the real controllers; every pod placed by the real scheduler
    assert api().get("v1", "PersistentVolumeClaim", "data-cassandra-0", NS)["status"]["phase"] == "Bound"
    pods = api().core.list_namespaced_pod(NS).items
    assert pods and all(p.spec.node_name == "lab-node-0" for p in pods)
    print(f"lab --target kind up: {seconds:.1f}s")


def test_the_api_server_refuses_a_bad_kafka_with_its_own_message(deployed):
    (kafka,) = [d for d in kube.manifests(["kafka"]) if d["kind"] == "Kafka"]
    kafka["spec"]["kafka"]["listeners"][0]["type"] = "loadbalancr"
    with pytest.raises(KindError, match=r"applying Kafka/lab failed: .*Unsupported value: \\?\"loadbalancr\\?\""):
        kube.apply([kafka])


def test_unknown_kinds_and_missing_namespaces_are_refused(deployed):
    with pytest.raises(KindError, match="does not know KafkaBridgeX"):
        kube.apply([{"apiVersion": config.STRIMZI_API, "kind": "KafkaBridgeX", "metadata": {"name": "x"}}])
    from kubernetes.client.rest import ApiException

    with pytest.raises(ApiException) as err:
        api().apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}, namespace="no-such-ns",
                    field_manager="test")  # fmt: skip
    assert err.value.status == 404 and 'namespaces \\"no-such-ns\\" not found' in err.value.body


def test_the_whole_stack_fits_a_two_cpu_node_once_spark_and_the_producer_run(deployed):
    """B2: on a learner's 2-CPU Docker VM (kind's own pods on it), the real scheduler places Spark and the producer too.
    What does not exist here gets its requests from the render: Kafka's broker and entity operator pods (Strimzi
    makes them) and Grafana (its chart needs helm) as pods holding those requests, named for what they stand for."""
    allocatable = node_cpu()
    docs = kube.manifests([n for n in config.KIND_COMPONENTS if n != "grafana"]) + kind.strimzi_manifests()
    absent = {k: v for k, v in kind.cpu_requests(docs).items() if k.startswith(("Kafka", "KafkaNodePool"))}
    if "grafana" not in deployed_names(deployed[0]):
        grafana = yaml.safe_load(kind.GRAFANA_VALUES.read_text())["resources"]["requests"]["cpu"]
        absent["Deployment/grafana"] = kind.millicores(grafana)
    for i, (ref, m) in enumerate(absent.items()):
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": f"requests-of-{i}", "labels": {"lab.test/requests-of": ref.split("/")[1].split()[0]}},
            "spec": {"containers": [{"name": "c", "image": "none", "resources": {"requests": {"cpu": f"{m}m"}}}]},
        }
        api().apply(pod, namespace=NS, field_manager="test")
    try:
        kube.start_app("spark", timeout=60, interval=0.5)
        kube.start_app("producer", timeout=60, interval=0.5, again=True)
        pods = api().core.list_namespaced_pod(NS).items
        pending = [p.metadata.name for p in pods if p.status.phase == "Pending"]
        assert not pending, f"left Pending by the scheduler: {pending}"
        # kwok ends a Job's pod after 1 s; the real producer replays its month for hours: its pod counts
        used = sum(
            kind._pod_cpu(p.to_dict()["spec"] | {"initContainers": []})  # init containers ended before
            for p in api().core.list_pod_for_all_namespaces(field_selector="spec.nodeName=lab-node-0").items
            if p.status.phase in ("Running", "Pending") or (p.metadata.labels or {}).get("job-name") == "producer"
        )
        assert used == kind.cpu_needed(docs + [grafana_doc()]) <= allocatable
        assert kind.cpu_needed(docs + [grafana_doc()]) <= 2000  # a learner's 2-CPU VM (the session's node may be 4)
    finally:
        for i in range(len(absent)):
            api().delete("v1", "Pod", f"requests-of-{i}", NS)
        kube.stop_app("spark")
        kube.stop_app("producer")


def node_cpu() -> int:
    """The session node's allocatable CPU in millicores (2000: a learner's VM; 4000: LAB_K8S_NODE_SIZE=github)."""
    return kind.millicores(api().core.read_node("lab-node-0").status.allocatable["cpu"])


def grafana_doc() -> dict:
    res = yaml.safe_load(kind.GRAFANA_VALUES.read_text())["resources"]
    return {"kind": "Deployment", "metadata": {"name": "grafana"},
            "spec": {"replicas": 1, "template": {"spec": {"containers": [{"resources": res}]}}}}  # fmt: skip


def test_the_scheduler_refuses_what_the_preflight_refuses(deployed):
    """The preflight's arithmetic is the scheduler's: a pod asking for the node's last free CPU and 1m more stays
    Pending with the scheduler's 'Insufficient cpu', and the wait names the pod's event."""
    free = node_cpu() - sum(
        kind._pod_cpu(p.to_dict()["spec"] | {"initContainers": []})
        for p in api().core.list_pod_for_all_namespaces(field_selector="spec.nodeName=lab-node-0").items
        if p.status.phase in ("Running", "Pending")
    )
    pod = {"name": "c", "image": "none", "resources": {"requests": {"cpu": f"{free + 1}m"}}}
    big = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "one-too-many"},
           "spec": {"selector": {"matchLabels": {"app": "one-too-many"}},
                    "template": {"metadata": {"labels": {"app": "one-too-many"}}, "spec": {"containers": [pod]}}}}  # fmt: skip
    kube.apply([big])
    try:
        with pytest.raises(KindError, match=r"(?s)Deployment/one-too-many .*not ready.*Insufficient cpu"):
            kube.wait_for("apps/v1", "Deployment", "one-too-many", timeout=6, interval=0.5)
        with pytest.raises(KindError, match=r"colima start --cpu 3"):
            kind.check_cpus(2, 2001)
    finally:
        api().delete("apps/v1", "Deployment", "one-too-many", NS)


def test_stop_app_returns_once_the_pods_have_ended(deployed):
    """B6: nothing an app writes may arrive after stop_app returns (notebook 09 starts right after it)."""
    for name in ("spark", "producer"):
        kube.start_app(name, timeout=60, interval=0.5, again=True)
        kube.stop_app(name)
        left = api().running_pods(kube.PODS[name], NS)
        assert left == [], f"{name}: pods still there when stop_app returned: {left}"


def test_a_changed_job_template_is_replaced_on_re_apply(deployed, monkeypatch):
    """B4: the API server refuses to change a Job's pod template in place; `up` replaces such a Job and runs it anew."""
    (job,) = [d for d in kube.manifests(["cassandra"]) if d["kind"] == "Job"]
    before = api().get("batch/v1", "Job", "cassandra-schema", NS)
    changed = yaml.safe_load(yaml.safe_dump(job))
    changed["spec"]["template"]["spec"]["containers"][0]["env"].append({"name": "LAB_CHANGED", "value": "1"})
    from kubernetes.client.rest import ApiException

    with pytest.raises(ApiException) as err:  # what the old driver met: server-side apply of the new template
        api().apply(changed, namespace=NS, field_manager=kube.FIELD_MANAGER)
    assert err.value.status == 422 and "field is immutable" in err.value.body
    real_render = kind.render

    def changed_render(overlay="kind", path=None):
        docs = real_render(overlay, path)
        return [changed if d["kind"] == "Job" and d["metadata"]["name"] == "cassandra-schema" else d for d in docs]

    monkeypatch.setattr(kind, "render", changed_render)
    assert kube.up(["cassandra"], timeout=60) == ["cassandra"]
    after = api().get("batch/v1", "Job", "cassandra-schema", NS)
    assert after["metadata"]["uid"] != before["metadata"]["uid"]
    env = after["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "LAB_CHANGED", "value": "1"} in env
    assert kube.ready(after)[0]  # the new Job ran to completion
    kube.up(["cassandra"], timeout=60)  # unchanged since: left alone
    assert api().get("batch/v1", "Job", "cassandra-schema", NS)["metadata"]["uid"] == after["metadata"]["uid"]


def test_a_failing_job_stops_the_wait_at_once_with_its_reason(deployed, monkeypatch):
    """A Job the real Job controller fails (its deadline passes while its pod cannot be placed) ends the wait at
    once, with the controller's reason and the scheduler's event."""
    (job,) = [d for d in kube.manifests(["cassandra"]) if d["kind"] == "Job"]
    job["metadata"]["name"] = "cassandra-schema-unplaceable"
    job["spec"]["activeDeadlineSeconds"] = 3
    job["spec"]["template"]["spec"]["nodeSelector"] = {"lab.test/no-such-node": "x"}
    kube.apply([job])
    try:
        t0 = time.monotonic()
        with pytest.raises(KindError, match=r"(?s)Job/cassandra-schema-unplaceable .* failed: .*deadline") as err:
            kube.wait_for("batch/v1", "Job", "cassandra-schema-unplaceable", timeout=120, interval=0.5)
        assert time.monotonic() - t0 < 60
        assert "FailedScheduling" in str(err.value) or "DeadlineExceeded" in str(err.value)
    finally:
        api().delete("batch/v1", "Job", "cassandra-schema-unplaceable", NS, propagation="Foreground")


def test_the_snapshot_job_may_exec_into_cassandra_only(deployed):
    """B10: the CronJob's ServiceAccount may `get` and `create` pods/exec on cassandra-0 (kubectl >= 1.30's WebSocket
    exec is a GET), and nothing else: the real RBAC authorizer answers (SubjectAccessReview)."""
    from kubernetes import client as k8s

    authz = k8s.AuthorizationV1Api(api().api)
    user = f"system:serviceaccount:{NS}:cassandra-snapshot"

    def allowed(verb: str, resource: str, name: str, sub: str = "") -> bool:
        attrs = {"namespace": NS, "verb": verb, "resource": resource, "name": name, "subresource": sub}
        review = {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
                  "spec": {"user": user, "groups": ["system:serviceaccounts"], "resourceAttributes": attrs}}  # fmt: skip
        return authz.create_subject_access_review(review).status.allowed

    assert allowed("get", "pods", "cassandra-0", "exec") and allowed("create", "pods", "cassandra-0", "exec")
    assert not allowed("create", "pods", "apicurio-registry-0", "exec")
    assert not allowed("delete", "pods", "cassandra-0")


def test_stop_scales_a_service_to_zero_and_kafka_says_why_not(deployed):
    """lifecycle.stop on kind: the registry and Cassandra go to 0 replicas and their pods end (the real controllers);
    Kafka, run by Strimzi, cannot be stopped alone and says what to do instead."""
    from lab.services import cassandra, kafka, schema_registry

    config.use("kind")
    try:
        assert schema_registry.stop() is True
        assert cassandra.stop() is True
        with pytest.raises(KindError, match="lab down --target kind"):
            kafka.stop()
        assert api().running_pods(kube.PODS["schema_registry"], NS) == []
        assert api().running_pods(kube.PODS["cassandra"], NS) == []
    finally:
        config.use("local")
        kube.up(["schema_registry", "cassandra"], timeout=60)
    until(lambda: all(r["ready"] for r in kube.status() if r["service"] in ("schema_registry", "cassandra")),
          service="registry and cassandra back", timeout=60)  # fmt: skip


def test_the_optional_components_pass_the_real_crds(deployed):
    """B3: the archive's KafkaConnect/KafkaConnector and the SCRAM KafkaUser, checked by the API server against
    Strimzi's real CRDs (041, 047: schema and CEL rules), /tmp sized for Iceberg's staging."""
    docs = kind.render(path=kind.K8S / "tests" / "kind-with-kafka-scram")
    strimzi = [d for d in docs if d["kind"] in ("KafkaConnect", "KafkaConnector", "KafkaUser")]
    assert {d["kind"] for d in strimzi} == {"KafkaConnect", "KafkaConnector", "KafkaUser"}
    try:
        kube.apply(strimzi)
        connect = api().get(config.STRIMZI_API, "KafkaConnect", "archive", NS)
        assert connect["spec"]["template"]["pod"]["tmpDirSizeLimit"] == "512Mi"  # kept: a field the CRD declares
        bad = yaml.safe_load(yaml.safe_dump(next(d for d in strimzi if d["kind"] == "KafkaConnect")))
        bad["spec"]["replicas"] = "one"
        with pytest.raises(KindError, match=r"applying KafkaConnect/archive failed: .*spec.replicas"):
            kube.apply([bad])
    finally:
        for d in strimzi:
            api().delete(config.STRIMZI_API, d["kind"], d["metadata"]["name"], NS)


def test_the_server_keeps_the_review_fixes(deployed):
    """B10, B12, B13 as the API server stored them after its validation and defaulting (a misspelt field would be
    refused by the strict field validation of server-side apply, a wrong one dropped)."""
    sts = api().get("apps/v1", "StatefulSet", "cassandra", NS)["spec"]["template"]["spec"]
    assert sts["containers"][0]["startupProbe"]["tcpSocket"]["port"] == "cql"
    spark = api().get("apps/v1", "Deployment", "spark-stream", NS)["spec"]["template"]["spec"]
    assert spark["securityContext"]["fsGroup"] == 10001
    registry = api().get("apps/v1", "Deployment", "apicurio-registry", NS)["spec"]["template"]["spec"]
    assert registry["initContainers"][0]["name"] == "wait-for-kafka"
    (pod,) = api().core.list_namespaced_pod(NS, label_selector=kube.PODS["schema_registry"]).items
    assert pod.status.init_container_statuses[0].state.terminated.exit_code == 0  # kwok: "ran", no container did


def test_a_restarted_producer_does_not_resend_without_being_told(deployed):
    """B5: the producer Job sends its month from the first row and does not resume: a second start says so and does
    nothing; again=True creates the Job anew (a new pod sends the month again, on purpose)."""
    kube.start_app("producer", timeout=60, interval=0.5, again=True)
    kube.stop_app("producer")
    first = api().get("batch/v1", "Job", "producer", NS)
    with pytest.raises(KindError, match=r"already ran .*second time.*again=True"):
        kube.start_app("producer", timeout=60, interval=0.5)
    assert api().get("batch/v1", "Job", "producer", NS)["spec"]["suspend"] is True  # untouched
    kube.up(["producer"], timeout=60)  # re-applying the render keeps the mark (another field manager owns it)
    with pytest.raises(KindError, match="already ran"):
        kube.start_app("producer", timeout=60, interval=0.5)
    kube.start_app("producer", timeout=60, interval=0.5, again=True)
    assert api().get("batch/v1", "Job", "producer", NS)["metadata"]["uid"] != first["metadata"]["uid"]
    kube.stop_app("producer")
