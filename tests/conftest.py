"""Shared fixtures: the real local stack (started once per session) and unique names per test."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import pytest

from lab import config as lab_config

# learner answers (notebooks/answers/weekNN/*.py) are data for test_answers.py, never collected themselves (`make test`
# passes --doctest-modules, which would import every .py under tests/, and the weeks' _grade.py share a basename)
collect_ignore_glob = ["notebooks/answers/*"]
STACK_MARKERS = ("stack", "spark", "notebook")
ZONES = "misc/taxi_zone_lookup.csv"  # present in a folder holding the TLC samples
FIXTURE_MARKERS = {"stack": STACK_MARKERS, "control_plane": ("k8s",)}  # fixture -> markers that select its tests


# The tests read the TLC samples (small slices of real months, described in their README) from the shared folder
# beside the clone (env LAB_SHARED_DIR), never from the TLC site: `make test-data` says how a lone clone gets them.
TLC_SAMPLES = lab_config.shared_dir() / "data" / "tlc"
os.environ.setdefault("LAB_TLC_BASE_URL", TLC_SAMPLES.as_uri())


def pytest_report_header(config):
    """Say where the TLC samples come from, and what to do when they are missing."""
    base = lab_config.tlc_base_url()
    missing = base.startswith("file://") and not (Path(base.removeprefix("file://")) / ZONES).is_file()
    return f"TLC samples: {base}" + (" (MISSING: `make test-data` says how to get them)" if missing else "")


TESTS = Path(__file__).resolve().parent
# tier folder -> the marker each of its tests gets (a stack-tier test marked `spark` keeps that marker instead)
TIER_MARKERS = {
    "unit": "unit",
    "stack": "stack",
    "faults": "faults",
    "notebooks": "notebook",
    "k8s": "k8s",
    "kind": "kind",
}


def pytest_collection_modifyitems(items):
    """Each test gets its tier folder's marker (tests/README.md); then a test using the `stack` fixture without a
    stack/spark/notebook marker gets `stack`, one using `control_plane` gets `k8s`, so -m selects it right."""
    for item in items:
        rel = item.path.relative_to(TESTS).parts if TESTS in item.path.parents else ()
        marker = TIER_MARKERS.get(rel[0]) if len(rel) > 1 else None
        if marker and not (marker == "stack" and item.get_closest_marker("spark")):
            item.add_marker(getattr(pytest.mark, marker))
        for fixture, markers in FIXTURE_MARKERS.items():
            if fixture in getattr(item, "fixturenames", ()) and not any(item.get_closest_marker(m) for m in markers):
                item.add_marker(getattr(pytest.mark, markers[0]))


@pytest.fixture(scope="session")
def stack():
    """The local stack (Kafka, registry, Cassandra, Prometheus), up and ready for the whole session.

    Services this fixture started are stopped at the end, unless LAB_KEEP_STACK=1; services that were
    already running before the session (a developer's `lab up`) are left running. Yields the rows of
    `lab.stack.up` (name, pid, started, seconds).
    """
    from lab.services import stack as lab_stack

    lab_config.use("local")
    before = {row["name"] for row in lab_stack.status() if row["running"]}
    try:
        report = lab_stack.up()
    except BaseException:
        # leave no half-started stack behind; the error (with the log tail) fails every test that needs it
        lab_stack.down([n for n in lab_config.LOCAL_STACK if n not in before])
        raise
    yield report
    if os.environ.get("LAB_KEEP_STACK") != "1":
        started = [row["name"] for row in report if row["started"]]
        if started:
            lab_stack.down(started)


@pytest.fixture(scope="session")
def control_plane():
    """The real Kubernetes control plane on loopback (lab.services.controlplane), once per session: one fake node
    sized like a learner's Docker VM (env LAB_K8S_NODE_SIZE=github: the 4-CPU runner) carrying kind's own pods'
    requests, a default StorageClass and static PVs. Yields the module (`control_plane.use()` points the driver,
    lab.deploy.kube, at it: see tests/k8s/test_kube_cluster.py).

    Stopped and wiped at the end when this session started it (unless LAB_KEEP_STACK=1).
    """
    from lab.services import controlplane

    was_running = controlplane.running()
    try:
        controlplane.start(nodes=1, size=os.environ.get("LAB_K8S_NODE_SIZE", "learner"))
        controlplane.kind_system_pods("lab-node-0")
    except BaseException:
        if not was_running:
            controlplane.stop(wipe=True)
        raise
    yield controlplane
    if not was_running and os.environ.get("LAB_KEEP_STACK") != "1":
        controlplane.stop(wipe=True)


def _slug(text: str, limit: int = 40) -> str:
    return re.sub(r"[^a-zA-Z0-9._-]+", "-", text).strip("-")[:limit]


@pytest.fixture
def unique_name(request) -> str:
    """A name unique to this test run, safe for Kafka topics, registry subjects and CQL (after lowercasing)."""
    return f"t-{_slug(request.node.name)}-{uuid.uuid4().hex[:8]}".lower()


@pytest.fixture
def topic(stack, unique_name):
    """A fresh one-partition topic on the stack's Kafka, deleted after the test. Yields its name."""
    from confluent_kafka.admin import NewTopic

    from lab.services import kafka

    admin = kafka.admin()
    admin.create_topics([NewTopic(unique_name, 1, 1)])[unique_name].result(timeout=30)
    yield unique_name
    admin.delete_topics([unique_name])[unique_name].result(timeout=30)


@pytest.fixture
def subject(topic) -> str:
    """The value subject of the test's topic (`<topic>-value`, the TopicNameStrategy)."""
    return f"{topic}-value"


@pytest.fixture(autouse=True)
def _local_target():
    """Every test starts and ends on the local target (a kind test must not leak its selection)."""
    lab_config.use("local")
    yield
    lab_config.use("local")
