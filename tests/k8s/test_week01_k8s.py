"""Week 01's kubectl exercise judged by the real Kubernetes control plane (marker k8s, from the session fixture
control_plane): the instructor notebook's solution cell passes as written, right answers written differently pass,
and a wrong answer of each kind (a verb that changes the cluster, another or every namespace, a missing label
selector that prints the decoy's pod, a header, the wrong columns, pod names written into the command) fails with one ❌
line saying what is wrong. One namespace per case (fixtures in tests/k8s/conftest.py), emptied afterwards."""

from __future__ import annotations

import json

import pytest

import lab
from lab.lessons.exercises import week01
from lab.lessons.notebooks import INSTRUCTOR_DIR

NOTEBOOK = INSTRUCTOR_DIR / "01_kafka_kraft.ipynb"
COLUMNS = "POD:.metadata.name,NODE:.spec.nodeName"
JSONPATH = r"""'{range .items[*]}{.metadata.name}{"\t"}{.spec.nodeName}{"\n"}{end}'"""


def test_the_instructor_solution_passes(run_cell):
    """The notebook's own cell (solution and grade call), executed as written on target local."""
    cells = [c for c in json.loads(NOTEBOOK.read_text())["cells"] if "check_kubectl_lookup" in "".join(c["source"])]
    (source,) = ["".join(c["source"]) for c in cells]
    assert "### BEGIN SOLUTION" in source
    out = run_cell(source, f"{NOTEBOOK.name}:kubectl_lookup", "w01-lookup")
    assert "✅" in out and "❌" not in out, out


def _uses_the_lab(ns: str, cluster) -> str:
    lab.cluster.kubectl(f"kubectl -n {ns} get pods", cluster)
    return f"kubectl -n {ns} get pods -l app=web --no-headers -o custom-columns={COLUMNS}"


def _crashes(ns: str, cluster) -> str:
    raise KeyError("app")


LOOKUP = {  # case: (lookup(ns, cluster) -> the command line, expected start, key words)
    "written-differently-custom-columns": (
        lambda ns, c: f"kubectl get pods --selector app=web --namespace={ns} -o custom-columns={COLUMNS} --no-headers",
        "✅",
        ["3 pods", "lab-node-0", "not web-canary's"],
    ),  # fmt: skip
    "written-differently-jsonpath": (
        lambda ns, c: f"kubectl get po -n{ns} -l 'app in (web)' -o jsonpath={JSONPATH}",
        "✅",
        ["3 pods", "lab-node-0"],
    ),  # fmt: skip
    "scale": (lambda ns, c: f"kubectl -n {ns} scale deployment/web --replicas=1", "❌", ["kubectl scale", "read-only"]),
    "delete": (lambda ns, c: f"kubectl -n {ns} delete pods -l app=web", "❌", ["kubectl delete", "change the cluster"]),
    "label": (lambda ns, c: f"kubectl label -n {ns} pods -l app=web seen=yes", "❌", ["kubectl label", "read-only"]),
    "all-namespaces": (
        lambda ns, c: f"kubectl get pods -A -l app=web --no-headers -o custom-columns={COLUMNS}",
        "❌",
        ["--all-namespaces", "-n "],
    ),  # fmt: skip
    "another-namespace": (
        lambda ns, c: f"kubectl -n default get pods -l app=web --no-headers -o custom-columns={COLUMNS}",
        "❌",
        ["reads namespace 'default'", "`namespace` argument"],
    ),  # fmt: skip
    "no-namespace": (
        lambda ns, c: f"kubectl get pods -l app=web --no-headers -o custom-columns={COLUMNS}",
        "❌",
        ["no -n", "default namespace"],
    ),  # fmt: skip
    "other-cluster": (
        lambda ns, c: f"kubectl --context kind-kappa -n {ns} get pods -l app=web",
        "❌",
        ["drop --context"],
    ),  # fmt: skip
    "no-selector": (
        lambda ns, c: f"kubectl -n {ns} get pods --no-headers -o custom-columns={COLUMNS}",
        "❌",
        ["web-canary", "label selector"],
    ),  # fmt: skip
    "wrong-selector": (
        lambda ns, c: f"kubectl -n {ns} get pods -l app=webb --no-headers -o custom-columns={COLUMNS}",
        "❌",
        ["printed nothing", "describe deployment web"],
    ),  # fmt: skip
    "header": (
        lambda ns, c: f"kubectl -n {ns} get pods -l app=web -o custom-columns={COLUMNS}",
        "❌",
        ["header", "--no-headers"],
    ),  # fmt: skip
    "wide": (
        lambda ns, c: f"kubectl -n {ns} get pods -l app=web -o wide --no-headers",
        "❌",
        ["two columns", "custom-columns"],
    ),  # fmt: skip
    "names-only": (lambda ns, c: f"kubectl -n {ns} get pods -l app=web -o name", "❌", ["two columns"]),
    "wrong-second-column": (
        lambda ns, c: (
            f"kubectl -n {ns} get pods -l app=web --no-headers -o custom-columns=P:.metadata.name,N:.spec.hostname"
        ),
        "❌",
        ["runs on lab-node-0", ".spec.nodeName"],
    ),  # fmt: skip
    "stale-names": (
        lambda ns, c: f"kubectl -n {ns} get pods web-5f448749d9-bxbf8 --no-headers -o custom-columns={COLUMNS}",
        "❌",
        ["NotFound", "new at each run"],
    ),  # fmt: skip
    "not-kubectl": (lambda ns, c: f"oc -n {ns} get pods -l app=web", "❌", ["not a kubectl command"]),
    "a-list": (lambda ns, c: [f"kubectl -n {ns} get pods"], "❌", ["one command line (a str)", "list"]),
    "uses-the-lab": (_uses_the_lab, "❌", ["lab.cluster.kubectl", "kubectl command line"]),
    "crashes": (_crashes, "❌", ["raised KeyError"]),
}


@pytest.mark.parametrize("case", sorted(LOOKUP))
def test_kubectl_lookup_answers(case, cluster, namespace, judge):
    lookup, expect, words = LOOKUP[case]
    ns = namespace

    def kubectl_lookup(n: str):
        return lookup(n, cluster)

    ok, line = judge(lambda: week01.check_kubectl_lookup(kubectl_lookup, namespace=ns, where=cluster))
    assert line.startswith(expect) and ok == (expect == "✅"), line
    missing = [w for w in words if w.lower() not in line.lower()]
    assert not missing, f"the line lacks {missing}: {line}"
    web = cluster.api.get("apps/v1", "Deployment", "web", ns)  # none when the command was refused before it ran
    pods = cluster.api.core.list_namespaced_pod(ns, label_selector="app=web,seen=yes").items
    assert not web or web["spec"]["replicas"] == week01.LOOKUP_REPLICAS, "a refused command scaled web"
    assert not pods, "a refused command labelled web's pods"


def test_the_stub_is_not_solved(cluster, namespace, judge):
    """The student release's stub: ⏳ not solved yet, no ❌."""

    def kubectl_lookup(namespace: str) -> str:
        raise NotImplementedError("not solved yet")

    ns = namespace
    ok, line = judge(lambda: week01.check_kubectl_lookup(kubectl_lookup, namespace=ns, where=cluster))
    assert not ok and line.startswith("⏳"), line
