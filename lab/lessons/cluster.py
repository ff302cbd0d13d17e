"""The practice Kubernetes cluster of the weeks' kubectl and manifest exercises (weeks 01 and 08): which cluster it
is, a namespace of each exercise's own, kubectl run against it, and bounded waits that say what the scheduler said.

On target local it is the lab's control plane on 127.0.0.1 (lab.services.controlplane: a real kube-apiserver,
controller-manager and scheduler; kwok's fake nodes mark pods Ready and Jobs' pods Succeeded, no container runs),
started on demand like the archive. On target kind it is the learner's kind cluster.
"""

from __future__ import annotations

import secrets
import shlex
import shutil
import subprocess
import time
from dataclasses import dataclass
from typing import Any

from lab import config
from lab.deploy import kube
from lab.errors import CheckFailed, LabError, ServiceNotReady, ServiceStartError
from lab.services import controlplane
from lab.wait import until

WAIT_S = 90.0  # bound of a wait on the control plane (a fake node marks pods Ready within seconds)
KIND_WAIT_S = 600.0  # on kind: images are pulled and Cassandra really starts
# a verdict of the scheduler counts once it has stood this long: the scheduler can meet a StatefulSet's pod before its
# cache holds the pod's claim ("persistentvolumeclaim … not found"), and tries again within ~1 s once it does
UNSCHEDULABLE_S = 5.0
NS_LABEL = "lab.kappa/exercise"  # the label of an exercise's namespaces: its value is the exercise (e.g. w08-producer)
PRACTICE_DEPLOYMENT = "web"
PAUSE_IMAGE = "registry.k8s.io/pause:3.10"  # waits forever, serves nothing
_started_here: list[bool] = []


@dataclass
class Cluster:
    """Where the week's Kubernetes exercises run: an API client (lab.deploy.kubeclient.KubeClient), the kubeconfig
    and context kubectl uses, whether it is the lab's control plane (fake nodes: no container runs; static PVs the lab
    provides) or a real cluster, and a name to show."""

    api: Any
    kubeconfig: str | None
    context: str | None
    lab_control_plane: bool
    name: str


_CLUSTER: list[Cluster] = []


def practice_cluster(progress=print) -> Cluster:
    """The cluster of this target (started on demand on target local); the same object on later calls."""
    if _CLUSTER:
        return _CLUSTER[0]
    if config.target() == "kind":
        given = kube.given_cluster()
        context, kubeconfig = (given[0] or None, given[1]) if given else (f"kind-{config.KIND_CLUSTER}", None)
        ours = context == controlplane.CONTEXT  # `lab --target kind` pointed at the lab's control plane (its use())
        _CLUSTER.append(Cluster(kube.client(), kubeconfig, context, ours,
                                "the lab's control plane" if ours else f"kind cluster ({context})"))  # fmt: skip
        return _CLUSTER[0]

    if not controlplane.running():
        if progress:
            progress("starting the lab's Kubernetes control plane on 127.0.0.1 (≈ 15 s; no container runs there)…")
        controlplane.start(nodes=1, size="learner")
        controlplane.kind_system_pods("lab-node-0")  # the node as kind leaves it: ≈ 1 of its 2 CPUs already asked
        _started_here.append(True)
    api, port = controlplane.client(), config.control_plane_ports().api
    cpus = "+".join(n.status.allocatable["cpu"] for n in api.core.list_node().items)
    cluster = Cluster(api, str(controlplane.kubeconfig()), controlplane.CONTEXT, True,
                      f"the lab's control plane (https://127.0.0.1:{port}, fake nodes of {cpus} CPUs)")  # fmt: skip
    _CLUSTER.append(cluster)
    return cluster


def checked_cluster() -> Cluster:
    """practice_cluster() for a check: a cluster that cannot be reached is one ❌ line saying why, not a trace."""
    try:
        return practice_cluster()
    except LabError as exc:
        raise CheckFailed(f"no practice cluster: {str(exc).splitlines()[0]}") from None


def stop_practice_cluster() -> str:
    """Stop the control plane if this process started it (the notebook's clean-up); says what it did."""
    if not _started_here:
        return "practice cluster left as it was"
    controlplane.stop(wipe=True)
    _started_here.clear()
    _CLUSTER.clear()
    return "the lab's control plane stopped"


def exercise_namespace(exercise: str, cluster: Cluster | None = None) -> str:
    """A fresh namespace for one exercise run (`<exercise>-<random>`, e.g. w08-producer-1a2b3c); the exercise's
    earlier namespaces are dropped first, so their pods no longer hold the node's CPU."""
    cluster = cluster or practice_cluster()
    api = cluster.api
    for old in api.core.list_namespace(label_selector=f"{NS_LABEL}={exercise}").items:
        drop_namespace(old.metadata.name, cluster)
    name = f"{exercise}-{secrets.token_hex(3)}"
    api.core.create_namespace({"metadata": {"name": name, "labels": {NS_LABEL: exercise}}})
    until(lambda: api.core.read_namespaced_service_account("default", name),
          service=f"namespace {name} (its default ServiceAccount)", timeout=WAIT_S)  # fmt: skip
    return name


def drop_namespace(namespace: str, cluster: Cluster | None = None) -> None:
    """Delete a namespace's workloads and pods, wait (bounded) until the pods are gone, then delete the namespace."""
    from kubernetes.client import AppsV1Api, BatchV1Api
    from kubernetes.client.rest import ApiException

    cluster = cluster or practice_cluster()
    apps, batch, core = AppsV1Api(cluster.api.api), BatchV1Api(cluster.api.api), cluster.api.core
    try:
        for delete in (apps.delete_collection_namespaced_stateful_set, apps.delete_collection_namespaced_deployment,
                       batch.delete_collection_namespaced_job):  # fmt: skip
            delete(namespace, propagation_policy="Background")
        core.delete_collection_namespaced_pod(namespace, grace_period_seconds=0)
        until(lambda: not core.list_namespaced_pod(namespace).items, service=f"the pods of namespace {namespace} gone",
              timeout=WAIT_S if cluster.lab_control_plane else KIND_WAIT_S)  # fmt: skip
        core.delete_namespace(namespace)
    except ApiException as exc:
        if exc.status != 404:  # already gone
            raise


def scheduler_verdict(api, namespace: str) -> str | None:
    """The scheduler's own message for a pod it cannot place in `namespace` (its FailedScheduling event), or None."""
    for pod in api.core.list_namespaced_pod(namespace).items:
        for cond in pod.status.conditions or []:
            if cond.type == "PodScheduled" and cond.status == "False" and cond.reason == "Unschedulable":
                events = [e for e in api.events("Pod", pod.metadata.name, namespace) if "FailedScheduling" in e]
                said = events[-1].split(": ", 1)[1] if events else cond.message
                return f"the scheduler leaves pod {pod.metadata.name} Pending: {said}"
    return None


def wait(cluster: Cluster, namespace: str, what: str, done, timeout: float | None = None):
    """Poll `done()` (truthy when settled; raises CheckFailed for a verdict, another exception for "not yet") within
    the bound; a pod the scheduler leaves unschedulable for UNSCHEDULABLE_S fails with its message, a timeout says
    what was missing."""
    fatal: list[str] = []
    unschedulable: list[float] = []  # since when the scheduler has left some pod unschedulable, without a break

    def probe():
        try:
            verdict = scheduler_verdict(cluster.api, namespace)
            if not verdict:
                unschedulable.clear()
                return done()
            unschedulable[:] = unschedulable or [time.monotonic()]
            if time.monotonic() - unschedulable[0] < UNSCHEDULABLE_S:
                raise ConnectionError(verdict)  # not final yet: the scheduler may place it on its next try
            raise CheckFailed(verdict)
        except CheckFailed as exc:
            fatal.append(str(exc))
            raise

    bound = timeout or (WAIT_S if cluster.lab_control_plane else KIND_WAIT_S)
    try:
        return until(probe, service=what, timeout=bound, interval=0.5, alive=lambda: fatal[-1] if fatal else None)
    except ServiceStartError:
        raise CheckFailed(fatal[-1]) from None
    except ServiceNotReady as exc:
        raise CheckFailed(
            f"{what} not reached within {bound:.0f} s: {exc.last_status} (kubectl -n {namespace} describe pods)"
        ) from None


# --- kubectl ------------------------------------------------------------------------------------------------------


def _kubectl_binary(cluster: Cluster) -> str:
    if cluster.lab_control_plane:
        return str(controlplane.kubectl())
    found = shutil.which("kubectl")
    if not found:
        raise CheckFailed("kubectl is not on PATH: install it (https://kubernetes.io/docs/tasks/tools/)")
    return found


def kubectl(command: str, cluster: Cluster | None = None, timeout: float = WAIT_S) -> str:
    """Run one `kubectl …` command line against the practice cluster (its kubeconfig and context added) and return
    what it printed; CheckFailed with kubectl's own error when it fails."""
    cluster = cluster or checked_cluster()
    argv = shlex.split(command)
    if not argv or argv[0] != "kubectl":
        raise CheckFailed(f"{command!r} is not a kubectl command (start it with `kubectl`)")
    extra = ([f"--kubeconfig={cluster.kubeconfig}"] if cluster.kubeconfig else []) + (
        [f"--context={cluster.context}"] if cluster.context else [])  # fmt: skip
    try:
        out = subprocess.run([_kubectl_binary(cluster), *extra, *argv[1:]], capture_output=True, text=True,
                             timeout=timeout)  # fmt: skip
    except subprocess.TimeoutExpired:
        raise CheckFailed(f"`{command}` did not finish within {timeout:.0f} s") from None
    if out.returncode:
        raise CheckFailed(f"`{command}` failed: {(out.stderr or out.stdout).strip()[-400:]}")
    return out.stdout


def deploy(cluster: Cluster, namespace: str, replicas: dict[str, int]) -> dict[str, dict]:
    """Deployments `{name: replicas}` (pods labelled app=<name>, a pause container each) applied in `namespace`, once
    all their replicas are available; returns them as the API server has them, by name."""
    for name, count in replicas.items():
        labels = {"app": name}
        container = {"name": name, "image": PAUSE_IMAGE,
                     "resources": {"requests": {"cpu": "50m", "memory": "32Mi"}, "limits": {"memory": "64Mi"}}}  # fmt: skip
        cluster.api.apply(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": name, "labels": labels},
                "spec": {
                    "replicas": count,
                    "selector": {"matchLabels": labels},
                    "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
                },
            },
            namespace=namespace,
            field_manager="lab-exercises",
        )

    def available():
        objs = {name: cluster.api.get("apps/v1", "Deployment", name, namespace) or {} for name in replicas}
        ready = {name: (obj.get("status") or {}).get("availableReplicas") or 0 for name, obj in objs.items()}
        if ready != replicas:
            raise ConnectionError(", ".join(f"{name} {ready[name]}/{n} available" for name, n in replicas.items()))
        return objs

    return wait(cluster, namespace, f"Deployments {', '.join(replicas)} available", available)


def kubectl_practice(exercise: str, cluster: Cluster | None = None, namespace: str | None = None) -> str:
    """A fresh namespace (`<exercise>-<random>`) holding Deployment `web` (1 replica) to look at with kubectl;
    returns the namespace."""
    cluster = cluster or checked_cluster()
    namespace = namespace or exercise_namespace(exercise, cluster)
    deploy(cluster, namespace, {PRACTICE_DEPLOYMENT: 1})
    return namespace
