"""Week 08's platform exercises judged by the real Kubernetes control plane (marker k8s, given by conftest to every
test using the session fixture control_plane): the instructor notebook's solution cells pass as written, a right
answer written differently passes, and a wrong answer of each kind fails with one ❌ line naming what is wrong (the
API server's or the scheduler's own words where they are the judge). One namespace per case, emptied afterwards so
the next case finds the 2-CPU node as the session left it. The overlay's wrong answers refused before any cluster is
asked run without one (unit tier)."""

from __future__ import annotations

import copy
import json
import os

import pytest
import yaml

from lab import config
from lab.lessons.exercises import week08
from lab.lessons.notebooks import INSTRUCTOR_DIR

NOTEBOOK = INSTRUCTOR_DIR / "08_deploy.ipynb"
SOLUTION_CELLS = {  # exercise -> the instructor notebook's cell (id) that defines the answer and grades it
    "cassandra": "c8a1f0e2d3b44a5e",
    "producer": "d91b2e3f4a5c4b6d",
    "overlay": "acae54e37e7d407bbb7b55eff062a284",
    "kubectl": "e2c3d4f5a6b74c8e",
}


@pytest.mark.parametrize("exercise", sorted(SOLUTION_CELLS))
def test_the_instructor_solution_passes(exercise, run_cell):
    """The notebook's own cell (solution and grade call), executed as written on target local."""
    cells = {c.get("id"): "".join(c["source"]) for c in json.loads(NOTEBOOK.read_text())["cells"]}
    source = cells[SOLUTION_CELLS[exercise]]
    assert "### BEGIN SOLUTION" in source
    out = run_cell(source, f"{NOTEBOOK.name}:{exercise}", f"w08-{exercise}")
    assert "✅" in out and "❌" not in out, out


# --- Cassandra's StatefulSet ----------------------------------------------------------------------------------


def cassandra_yaml(**change) -> list[dict]:
    """A right answer written differently from the solution: YAML text, the headless Service named like the
    StatefulSet, exec/tcp probes, other labels and claim name. `change` edits it into a wrong answer."""
    text = f"""
apiVersion: v1
kind: Service
metadata: {{name: db}}
spec:
  clusterIP: None
  selector: {{app: db}}
  ports: [{{name: cql, port: 9042}}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {{name: db}}
spec:
  serviceName: db
  replicas: 1
  selector: {{matchLabels: {{app: db}}}}
  template:
    metadata: {{labels: {{app: db, tier: storage}}}}
    spec:
      containers:
        - name: cassandra
          image: {config.CASSANDRA_IMAGE}
          ports: [{{containerPort: 9042}}]
          startupProbe: {{tcpSocket: {{port: 9042}}, failureThreshold: 60, periodSeconds: 5}}
          readinessProbe: {{exec: {{command: [cqlsh, -e, "describe keyspaces"]}}}}
          resources: {{requests: {{cpu: "0.5", memory: 2Gi}}, limits: {{memory: 2Gi}}}}
          volumeMounts: [{{name: cassandra-data, mountPath: /var/lib/cassandra}}]
  volumeClaimTemplates:
    - metadata: {{name: cassandra-data}}
      spec: {{accessModes: [ReadWriteOnce], resources: {{requests: {{storage: 1Gi}}}}}}
"""
    svc, sts = yaml.safe_load_all(text)
    container = sts["spec"]["template"]["spec"]["containers"][0]
    if change.get("not_headless"):
        del svc["spec"]["clusterIP"]
    if change.get("service_name"):
        sts["spec"]["serviceName"] = change["service_name"]
    if change.get("empty_dir"):
        del sts["spec"]["volumeClaimTemplates"]
        sts["spec"]["template"]["spec"]["volumes"] = [{"name": "cassandra-data", "emptyDir": {}}]
    if change.get("cpu"):
        container["resources"]["requests"]["cpu"] = change["cpu"]
    if change.get("drop"):
        del container[change["drop"]]
    if change.get("image"):
        container["image"] = change["image"]
    return [svc, sts]


def labs_own(*kinds: str):
    """The kind overlay's own objects of these kinds (cassandra's / the producer's), as a shortcut would return them;
    a single kind gives the one object."""
    from lab.deploy import kind

    docs = [d for d in kind.render() if d["kind"] in kinds and d["metadata"]["name"] in ("cassandra", "producer")]
    return docs[0] if len(kinds) == 1 else docs


def _raises():
    raise KeyError("spec")


CASSANDRA = {  # case: (answer, expected start, key words)
    "written-differently": (lambda: cassandra_yaml(), "✅", ["Ready", "Bound", "headless Service db"]),
    "not-headless": (lambda: cassandra_yaml(not_headless=True), "❌", ["no headless Service", "clusterIP 10."]),
    "servicename-mismatch": (lambda: cassandra_yaml(service_name="cassandra"), "❌", ["serviceName mismatch", "db"]),
    "emptydir": (lambda: cassandra_yaml(empty_dir=True), "❌", ["no volumeClaimTemplates", "emptyDir"]),
    "too-big-for-the-node": (lambda: cassandra_yaml(cpu="4"), "❌", ["scheduler", "Pending", "Insufficient cpu"]),
    "no-startup-probe": (lambda: cassandra_yaml(drop="startupProbe"), "❌", ["probe missing", "startupProbe"]),
    "no-readiness-probe": (lambda: cassandra_yaml(drop="readinessProbe"), "❌", ["probe missing", "readinessProbe"]),
    "no-resources": (lambda: cassandra_yaml(drop="resources"), "❌", ["requests.cpu", "limits.memory"]),
    "latest-image": (lambda: cassandra_yaml(image="cassandra:latest"), "❌", [":latest", "pin"]),
    "crashes": (_raises, "❌", ["raised KeyError"]),
    "the-labs-own": (lambda: labs_own("StatefulSet", "Service"), "❌", ["lab's own", "k8s/base"]),
    "read-from-k8s-base": (
        lambda: (
            list(yaml.safe_load_all((config.REPO_ROOT / "k8s/base/cassandra/statefulset.yaml").read_text()))
            + [yaml.safe_load_all((config.REPO_ROOT / "k8s/base/cassandra/service.yaml").read_text()).__next__()]
        ),
        "❌",
        ["lab's own"],
    ),  # fmt: skip
}


@pytest.mark.parametrize("case", sorted(CASSANDRA))
def test_cassandra_answers(case, cluster, namespace, judge):
    answer, expect, words = CASSANDRA[case]
    ns = namespace
    ok, line = judge(lambda: week08.check_cassandra(answer, namespace=ns, cluster=cluster))
    assert line.startswith(expect) and ok == (expect == "✅"), line
    missing = [w for w in words if w.lower() not in line.lower()]
    assert not missing, f"the line lacks {missing}: {line}"


# --- the producer's image and Job ---------------------------------------------------------------------------------

DOCKERFILE = """\
# a two-stage build: wheels first, then a slim runtime
FROM python:3.11.11-slim-bookworm AS build
WORKDIR /src
COPY ["pyproject.toml", "README.md", "./"]
COPY lab/ ./lab/
RUN pip wheel --no-deps -w /wheels .

FROM python:3.11.11-slim-bookworm
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl \\
 && useradd --create-home producer
USER producer:producer
ENTRYPOINT ["lab"]
CMD ["produce", "--service", "yellow", "--month", "2021-01"]
"""


def job(**change) -> dict:
    """A right Job written differently (restartPolicy OnFailure, a command, a TTL); `change` makes it wrong."""
    doc = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "send-month"},
        "spec": {
            "backoffLimit": 0,
            "ttlSecondsAfterFinished": 3600,
            "template": {
                "spec": {
                    "restartPolicy": change.get("restart", "OnFailure"),
                    "containers": [
                        {
                            "name": "send",
                            "image": change.get("image", config.PRODUCER_IMAGE),
                            "command": ["lab", "produce", "--month", "2021-02"],
                            "resources": {"requests": {"cpu": "0.1", "memory": "300Mi"}, "limits": {"memory": "1Gi"}},
                        }
                    ],
                }
            },
        },
    }
    if "backoff" in change:
        doc["spec"]["backoffLimit"] = change["backoff"]
    return doc


PRODUCER = {  # case: (job, dockerfile, expected start, key words)
    "written-differently": (job(), DOCKERFILE, "✅", ["Succeeded", "Complete"]),
    "the-labs-own-dockerfile": (
        job(),
        (config.REPO_ROOT / "k8s/images/producer/Dockerfile").read_text(),
        "❌",
        ["lab's own Dockerfile", "write yours"],
    ),  # fmt: skip
    "the-labs-own-job": (lambda: labs_own("Job"), DOCKERFILE, "❌", ["lab's own", "write yours"]),
    "restart-always": (
        job(restart="Always"),
        DOCKERFILE,
        "❌",
        ["API server refuses", "restartPolicy", 'valid values: "OnFailure"'],
    ),
    "copies-a-missing-file": (
        job(),
        DOCKERFILE.replace("README.md", "requirements.txt"),
        "❌",
        ["requirements.txt", "no such file", "as cloned"],
    ),  # fmt: skip
    "latest-base": (
        job(),
        DOCKERFILE.replace("python:3.11.11-slim-bookworm\n", "python:latest\n"),
        "❌",
        ["FROM", ":latest"],
    ),  # fmt: skip
    "untagged-job-image": (job(image="kappa-lab/producer"), DOCKERFILE, "❌", ["no tag", "latest"]),
    "runs-as-root": (job(), DOCKERFILE.replace("USER producer:producer\n", ""), "❌", ["no USER", "root"]),
    "retries": (job(backoff=6), DOCKERFILE, "❌", ["backoffLimit", "sends the month again"]),
}


@pytest.mark.parametrize("case", sorted(PRODUCER))
def test_producer_answers(case, cluster, namespace, judge):
    the_job, dockerfile, expect, words = PRODUCER[case]
    ns = namespace
    ok, line = judge(
        lambda: week08.check_producer(
            lambda: the_job() if callable(the_job) else copy.deepcopy(the_job),
            lambda: dockerfile,
            namespace=ns,
            cluster=cluster,
        )
    )
    assert line.startswith(expect) and ok == (expect == "✅"), line
    missing = [w for w in words if w.lower() not in line.lower()]
    assert not missing, f"the line lacks {missing}: {line}"


# --- kubectl --------------------------------------------------------------------------------------------------------


def _python_not_kubectl(ns: str, cluster) -> list[str]:
    cluster.api.apply(
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": 3}},
        namespace=ns,
        field_manager="my-script",
    )
    return [f"kubectl -n {ns} rollout status deployment/web"]


KUBECTL = {  # case: (commands(ns, cluster), expected start, key words)
    "written-differently": (
        lambda ns, c: [
            f"kubectl get deploy -n {ns}",
            f"kubectl scale --replicas 3 deploy web -n {ns}",
            f"kubectl rollout status -n {ns} -w deploy/web",
            f"kubectl describe -n {ns} deployment web",
        ],
        "✅",
        ["scaled to 3", "3/3 available"],
    ),  # fmt: skip
    "scaled-to-2": (
        lambda ns, c: [
            f"kubectl -n {ns} scale deployment/web --replicas=2",
            f"kubectl -n {ns} rollout status deployment/web",
        ],
        "❌",
        ["2 replicas", "not 3"],
    ),  # fmt: skip
    "wrong-name": (
        lambda ns, c: [f"kubectl -n {ns} scale deployment/webb --replicas=3"],
        "❌",
        ["failed", 'deployments.apps "webb" not found'],
    ),  # fmt: skip
    "no-rollout-status": (
        lambda ns, c: [f"kubectl -n {ns} scale deployment/web --replicas=3"],
        "❌",
        ["rollout status"],
    ),  # fmt: skip
    "not-kubectl": (lambda ns, c: [f"helm -n {ns} upgrade web"], "❌", ["not a kubectl command"]),
    "python-client": (_python_not_kubectl, "❌", ["not changed by kubectl"]),
}


@pytest.mark.parametrize("case", sorted(KUBECTL))
def test_kubectl_answers(case, cluster, namespace, judge):
    commands, expect, words = KUBECTL[case]
    ns = namespace
    ok, line = judge(lambda: week08.check_kubectl(lambda n: commands(n, cluster), namespace=ns, cluster=cluster))
    assert line.startswith(expect) and ok == (expect == "✅"), line
    missing = [w for w in words if w.lower() not in line.lower()]
    assert not missing, f"the line lacks {missing}: {line}"


# --- the overlay: a topic and a patch -------------------------------------------------------------------------------


def overlay_writer(namespace="kappa", label="lab", include=True, partitions=3, patch="strategic"):
    """A learner's write_overlay: the kind overlay + a KafkaTopic + a patch of cassandra's requests (strategic merge,
    or a JSON 6902 patch written inline: a right answer written differently), or one of the wrong variants."""
    from lab.deploy import kind

    def write(folder):
        folder.mkdir(parents=True, exist_ok=True)
        labels = {"strimzi.io/cluster": label} if label else {}
        topic = {
            "apiVersion": "kafka.strimzi.io/v1",
            "kind": "KafkaTopic",
            "metadata": {"name": "my-topic", "labels": labels},
            "spec": {"partitions": partitions, "replicas": 1},
        }
        (folder / "topic.yaml").write_text(yaml.safe_dump(topic))
        k = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": ["topic.yaml"]}
        if include:
            k["resources"].insert(0, os.path.relpath(kind.overlay_dir("kind"), folder))
        if namespace:
            k["namespace"] = namespace
        target = {"kind": "StatefulSet", "name": "cassandra"}
        path = "/spec/template/spec/containers/0"
        k["patches"] = {
            "strategic": [{"patch": yaml.safe_dump({"apiVersion": "apps/v1", "kind": "StatefulSet",
                           "metadata": {"name": "cassandra"}, "spec": {"template": {"spec": {"containers": [
                               {"name": "cassandra", "resources": {"requests": {"cpu": "100m", "memory": "1Gi"}}}]}}}})}],
            "json6902": [{"target": target, "patch": yaml.safe_dump([{"op": "replace", "path": f"{path}/resources/requests",
                          "value": {"cpu": 0.1, "memory": "1024Mi"}}])}],
            "replaces-container": [{"target": target, "patch": yaml.safe_dump([{"op": "replace", "path": path,
                                    "value": {"name": "cassandra", "resources": {"requests": {"cpu": "100m",
                                                                                              "memory": "1Gi"}}}}])}],
            "limit-below-request": [{"target": target, "patch": yaml.safe_dump([{"op": "replace",
                                     "path": f"{path}/resources", "value": {"requests": {"cpu": "100m", "memory": "1Gi"},
                                                                            "limits": {"memory": "512Mi"}}}])}],
            "wrong-size": [{"target": target, "patch": yaml.safe_dump([{"op": "replace", "path": f"{path}/resources/"
                            "requests/memory", "value": "2Gi"}])}],
            "none": [],
        }[patch]  # fmt: skip
        (folder / "kustomization.yaml").write_text(yaml.safe_dump(k))

    return write


OVERLAY = {  # case: (writer, expected start, key words) — judged by the API server (k8s tier)
    "written-differently": (overlay_writer(patch="json6902"), "✅", ["my-topic (3 partitions)", "100m CPU / 1Gi"]),
    "no-patch": (overlay_writer(patch="none"), "❌", ["patch the StatefulSet cassandra", "1Gi"]),
    "wrong-size": (overlay_writer(patch="wrong-size"), "❌", ["requests", "memory 1Gi"]),
    "replaces-container": (overlay_writer(patch="replaces-container"), "❌", ["replaced", "image"]),
    "limit-below-request": (
        overlay_writer(patch="limit-below-request"),
        "❌",
        ["API server refuses", "must be less than or equal to memory limit"],
    ),  # fmt: skip
}
OVERLAY_OFFLINE = {  # wrong answers the check refuses before any cluster is asked (unit tier)
    "no-kustomization": (lambda folder: None, "❌", ["kustomization.yaml"]),
    "no-namespace": (overlay_writer(namespace=None), "❌", ["namespace", "kappa"]),
    "no-cluster-label": (overlay_writer(label=None), "❌", ["strimzi.io/cluster"]),
    "partitions": (overlay_writer(partitions=2), "❌", ["partitions is 2"]),
    "overlay-not-included": (overlay_writer(include=False, patch="none"), "❌", ["overlay is not included"]),
    "crashes": (lambda folder: 1 / 0, "❌", ["raised ZeroDivisionError"]),
}


def judge_overlay(judge, writer, folder, **where) -> tuple[bool, str]:
    return judge(lambda: week08.check_overlay(writer, folder, "my-topic", 3, **where))


@pytest.mark.parametrize("case", sorted(OVERLAY))
def test_overlay_answers(case, cluster, namespace, tmp_path, judge):
    writer, expect, words = OVERLAY[case]
    ok, line = judge_overlay(judge, writer, tmp_path / "overlay", cluster=cluster, namespace=namespace)
    assert line.startswith(expect) and ok == (expect == "✅"), line
    missing = [w for w in words if w.lower() not in line.lower()]
    assert not missing, f"the line lacks {missing}: {line}"


@pytest.mark.parametrize("case", sorted(OVERLAY_OFFLINE))
def test_overlay_answers_refused_offline(case, tmp_path, judge):
    """No cluster: a case reaching the API server would crash on the missing cluster and fail here."""
    writer, expect, words = OVERLAY_OFFLINE[case]
    ok, line = judge_overlay(judge, writer, tmp_path / "overlay", cluster="no cluster", namespace="none")
    assert line.startswith(expect) and not ok, line
    missing = [w for w in words if w.lower() not in line.lower()]
    assert not missing, f"the line lacks {missing}: {line}"


# --- the Dockerfile lint alone (unit tier) --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dockerfile, problem",
    [
        ("FROM python@sha256:" + "a" * 64 + "\nUSER 1000\nCMD lab produce\n", None),  # a digest pins it
        ("FROM python:3.11 AS b\nFROM b\nCOPY --from=b /x /y\nUSER 1000\nCMD lab produce\n", None),  # a stage
        ("FROM python:3.11\nCOPY \\\n  lab \\\n  ./lab\nUSER app:app\nENTRYPOINT lab produce\n", None),
        ("FROM python\nUSER 1000\nCMD lab produce\n", "has no tag"),
        ("FROM python:3.11\nADD https://example.org/x.tgz /x\nUSER 1000\nCMD lab produce\n", "downloads at build"),
        ("FROM python:3.11\nCOPY ../secrets /s\nUSER 1000\nCMD lab produce\n", "outside the build context"),
        ("FROM python:3.11\nCOPY .lab/jars/spark /jars\nUSER 1000\nCMD lab produce\n", "no such file"),
        ("FROM python:3.11\nUSER 1000\nUSER root\nCMD lab produce\n", "USER root"),
        ("FROM python:3.11\nUSER 1000\nCMD lab stream\n", "lab produce"),
        ("", "starts with FROM"),
    ],
)
def test_dockerfile_lint(dockerfile, problem):
    problems = week08.dockerfile_problems(dockerfile)
    if problem is None:
        assert problems == []
    else:
        assert len(problems) == 1 and problem in problems[0], problems
