"""lab.lessons.cluster.wait: when the scheduler's verdict on a pod is final (a scripted scheduler; no API server).

The real scheduler's verdicts are judged on the control plane in tests/k8s (test_week08_k8s's too-big-for-the-node)."""

from __future__ import annotations

import time

import pytest

from lab.errors import CheckFailed
from lab.lessons import cluster

VERDICT = 'the scheduler leaves pod cassandra-0 Pending: persistentvolumeclaim "data-cassandra-0" not found'


def scripted(monkeypatch, verdicts):
    """The scheduler says each of `verdicts` in turn (None: nothing unschedulable), then the last one for ever."""
    said = iter(verdicts)
    last = [None]

    def verdict(api, namespace):
        last[0] = next(said, last[0])
        return last[0]

    monkeypatch.setattr(cluster, "scheduler_verdict", verdict)
    monkeypatch.setattr(cluster, "UNSCHEDULABLE_S", 2.0)
    return cluster.Cluster(api=None, kubeconfig=None, context=None, lab_control_plane=True, name="scripted")


def test_a_pod_the_scheduler_places_on_its_next_try_is_not_failed(monkeypatch):
    """The StatefulSet's claim reaches the scheduler's cache just after its pod: one unschedulable look, then placed."""
    at = scripted(monkeypatch, [VERDICT, None])
    assert cluster.wait(at, "ns", "StatefulSet cassandra Ready", lambda: "ready", timeout=10) == "ready"


def test_a_verdict_that_stands_fails_with_the_schedulers_words(monkeypatch):
    at = scripted(monkeypatch, [VERDICT])
    started = time.monotonic()
    with pytest.raises(CheckFailed, match="persistentvolumeclaim .* not found"):
        cluster.wait(at, "ns", "StatefulSet cassandra Ready", lambda: "ready", timeout=30)
    assert time.monotonic() - started < 10, "a standing verdict fails soon after UNSCHEDULABLE_S, not at the timeout"


def test_a_verdict_that_comes_back_after_a_break_is_timed_again(monkeypatch):
    """Unschedulable, placed, unschedulable again: the second spell alone decides (and it clears too)."""
    at = scripted(monkeypatch, [VERDICT, VERDICT, None, VERDICT, VERDICT, None])
    looks = []

    def placed():  # settled only at the second look: the first comes between the two spells
        looks.append(1)
        if len(looks) < 2:
            raise ConnectionError("1 of 2 pods placed")
        return "placed"

    assert cluster.wait(at, "ns", "pods placed", placed, timeout=10) == "placed"
