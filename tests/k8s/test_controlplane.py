"""The Kubernetes control plane on loopback (lab.services.controlplane): what it runs is the real thing: scheduling,
controllers, admission, static PVs bound to a StatefulSet (how it fails without its binaries:
tests/unit/test_controlplane_errors.py)."""

from __future__ import annotations

import re

import pytest
from kubernetes.client.rest import ApiException

from lab.services import controlplane
from lab.wait import until

# --- the real control plane (session fixture) -------------------------------------------------------------------


def dns_label(name: str) -> str:
    """A name the API server takes for a namespace (an RFC 1123 label: a-z, 0-9, '-', at most 63)."""
    return re.sub(r"[^a-z0-9-]+", "-", name.lower())[-40:].strip("-")


@pytest.fixture
def namespace(control_plane, unique_name):
    api = control_plane.client()
    unique_name = dns_label(unique_name)
    api.core.create_namespace({"metadata": {"name": unique_name}})
    until(
        lambda: api.core.read_namespaced_service_account("default", unique_name),
        service="the namespace's default ServiceAccount",
        timeout=60,
    )
    yield unique_name
    api.core.delete_namespace(unique_name)


def deployment(name: str, cpu: str, replicas: int = 1) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "x:1", "resources": {"requests": {"cpu": cpu}}}]},
            },
        },
    }


@pytest.mark.k8s
def test_the_node_looks_like_a_learners_docker_vm_with_kinds_own_pods(control_plane):
    api = control_plane.client()
    node = api.core.read_node("lab-node-0")
    size = controlplane.NODE_SIZES[node.metadata.labels["lab.kappa/size"]]
    assert node.status.allocatable["cpu"] == size["cpu"] and node.status.allocatable["memory"] == size["memory"]
    assert any(c.type == "Ready" and c.status == "True" for c in node.status.conditions)
    system = api.core.list_namespaced_pod("kube-system", label_selector="lab.kappa/kind-system").items
    assert {p.metadata.labels["lab.kappa/kind-system"] for p in system} == set(controlplane.KIND_SYSTEM_PODS)
    assert all(p.spec.node_name == "lab-node-0" for p in system)


@pytest.mark.k8s
def test_the_scheduler_places_what_fits_and_says_why_not(control_plane, namespace):
    """Deployment → ReplicaSet → Pods by the real controllers; the real scheduler's verdict on a pod too big."""
    api = control_plane.client()
    api.apply(deployment("small", "100m", replicas=2), namespace=namespace, field_manager="test")
    api.apply(deployment("huge", "64"), namespace=namespace, field_manager="test")

    def available():
        obj = api.get("apps/v1", "Deployment", "small", namespace)
        return (obj.get("status") or {}).get("availableReplicas") == 2

    until(available, service="Deployment/small", timeout=60)

    def unschedulable():
        pods = api.core.list_namespaced_pod(namespace, label_selector="app=huge").items
        return [c for p in pods for c in p.status.conditions or [] if c.reason == "Unschedulable"]

    cond = until(unschedulable, service="the scheduler's verdict", timeout=60)[0]
    assert "Insufficient cpu" in cond.message


@pytest.mark.k8s
def test_the_api_server_refuses_what_is_invalid_with_its_own_message(control_plane, namespace):
    bad = deployment("bad", "100m")
    bad["spec"]["replicas"] = -1
    with pytest.raises(ApiException) as err:
        control_plane.client().apply(bad, namespace=namespace, field_manager="test")
    assert err.value.status == 422 and "must be greater than or equal to 0" in err.value.body


@pytest.mark.k8s
def test_a_statefulset_claim_binds_a_static_volume(control_plane, namespace):
    api = control_plane.client()
    sts = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db"},
        "spec": {
            "serviceName": "db",
            "replicas": 1,
            "selector": {"matchLabels": {"app": "db"}},
            "template": {
                "metadata": {"labels": {"app": "db"}},
                "spec": {"containers": [{"name": "c", "image": "x:1"}]},
            },
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "data"},
                    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
                }
            ],
        },
    }
    api.apply(sts, namespace=namespace, field_manager="test")

    def bound():
        pvc = api.get("v1", "PersistentVolumeClaim", "data-db-0", namespace)
        return pvc if ((pvc or {}).get("status") or {}).get("phase") == "Bound" else None

    pvc = until(bound, service="PVC data-db-0", timeout=60)
    assert pvc["spec"]["storageClassName"] == "standard"  # the default StorageClass was filled in by admission
    until(
        lambda: (api.get("apps/v1", "StatefulSet", "db", namespace).get("status") or {}).get("readyReplicas") == 1,
        service="StatefulSet/db",
        timeout=60,
    )
