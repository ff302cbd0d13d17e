"""The k8s tier: tests against the real Kubernetes control plane on loopback (tests/conftest.py's `control_plane`
fixture, lab.services.controlplane), and the control plane's own error messages.

Every test collected under this folder gets (from tests/conftest.py) the marker `k8s`, so `-m` selects the tier
(see tests/README.md). The exercises' tests (weeks 01 and 08, week 09's capstone overlay) share the fixtures below: the control plane as a
learner's practice cluster, a namespace per case, and `judge` (a check run through the notebook's grade()).
"""

from __future__ import annotations

import re

import pytest

import lab
from lab import config
from lab.lessons import cluster as practice
from lab.lessons.exercises import grade


@pytest.fixture(scope="module")
def cluster(control_plane):
    """The session's control plane as a learner's practice cluster: its node as the fixture made it (kind's own pods
    only). A stack an earlier module deployed (tests/test_kube_cluster.py leaves `lab --target kind up` in namespace
    kappa: ~1 CPU of requests) is removed first, else the exercises' pods could not fit the 2-CPU node."""
    api = control_plane.client()
    ours = practice.Cluster(api, str(control_plane.kubeconfig()), control_plane.CONTEXT, True, "test")
    practice.drop_namespace(config.NAMESPACE, ours)  # nothing to do when there is no such namespace
    return ours


@pytest.fixture
def namespace(cluster, request):
    """The case's own namespace; deleted afterwards, waiting until its pods are gone so that the next case finds the
    2-CPU node as the session left it."""
    case = request.node.callspec.id if hasattr(request.node, "callspec") else request.node.name
    ns = practice.exercise_namespace(re.sub(r"[^a-z0-9-]+", "-", f"t{case}".lower())[:40].strip("-"), cluster)
    yield ns
    practice.drop_namespace(ns, cluster)


@pytest.fixture
def judge(capsys):
    """judge(check) runs a check through the notebook's grade(): (ok, the one ✅/❌/⏳ line it printed)."""

    def judged(check) -> tuple[bool, str]:
        capsys.readouterr()
        ok = bool(grade(check))
        lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith(("✅", "❌", "⏳"))]
        assert len(lines) == 1, f"one verdict line expected, got {lines}"
        return ok, lines[0]

    return judged


@pytest.fixture
def run_cell(cluster, capsys, monkeypatch):
    """run_cell(source, name, exercise, scope=None): a notebook cell executed as written on target local (its practice
    cluster: this session's control plane), in `scope` (default: lab, strict, smoke); the namespaces its check made
    (label `exercise`) are dropped after it. Returns what it printed."""

    def run(source: str, name: str, exercise: str, scope: dict | None = None) -> str:
        monkeypatch.setattr(practice, "_CLUSTER", [])
        capsys.readouterr()
        exec(compile(source, name, "exec"), scope if scope is not None else {"lab": lab, "strict": True, "smoke": True})
        out = capsys.readouterr().out
        for ns in cluster.api.core.list_namespace(label_selector=f"{practice.NS_LABEL}={exercise}").items:
            practice.drop_namespace(ns.metadata.name, cluster)
        return out

    return run
