"""A fake Kubernetes API for the kind driver's tests: the rules of a real API server that `lab.kube` depends on.

It has the methods of lab.kubeclient.KubeClient and answers like a real server where the driver's correctness rests:
- a namespaced object is refused (404 NotFound, `namespaces "x" not found`) until its Namespace exists;
- a custom resource is refused (unknown kind) until its CustomResourceDefinition is applied and Established;
- controllers move status the way Kubernetes does: a Deployment is Available with its replicas (at once with 0), a
  StatefulSet has ready replicas, a Job Completes or Fails (BackoffLimitExceeded), a suspended Job is Suspended, a
  Strimzi Kafka is Ready only once its operator runs and a node pool exists, a KafkaTopic once its Kafka is Ready.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from lab import config
from lab.errors import KindError

# (apiVersion, kind) -> namespaced, for the built-in kinds the lab and Strimzi's install file use
BUILTIN = {
    ("v1", "Namespace"): False,
    ("v1", "ConfigMap"): True,
    ("v1", "Secret"): True,
    ("v1", "Service"): True,
    ("v1", "ServiceAccount"): True,
    ("v1", "PersistentVolumeClaim"): True,
    ("v1", "Pod"): True,
    ("apps/v1", "Deployment"): True,
    ("apps/v1", "StatefulSet"): True,
    ("batch/v1", "Job"): True,
    ("batch/v1", "CronJob"): True,
    ("rbac.authorization.k8s.io/v1", "Role"): True,
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): True,
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): False,
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): False,
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"): False,
    ("policy/v1", "PodDisruptionBudget"): True,
    ("networking.k8s.io/v1", "NetworkPolicy"): True,
}
STRIMZI = "kafka.strimzi.io/v1"
PLURALS = {
    "Namespace": "namespaces",
    "ConfigMap": "configmaps",
    "Secret": "secrets",
    "Service": "services",
    "ServiceAccount": "serviceaccounts",
    "PersistentVolumeClaim": "persistentvolumeclaims",
    "Pod": "pods",
    "Deployment": "deployments",
    "StatefulSet": "statefulsets",
    "Job": "jobs",
    "CronJob": "cronjobs",
    "Role": "roles",
    "RoleBinding": "rolebindings",
    "ClusterRole": "clusterroles",
    "ClusterRoleBinding": "clusterrolebindings",
    "CustomResourceDefinition": "customresourcedefinitions",
    "PodDisruptionBudget": "poddisruptionbudgets",
    "NetworkPolicy": "networkpolicies",
}


class ApiError(Exception):
    """What kubernetes.client.ApiException carries: HTTP status, reason and the API's Status object as `body`."""

    def __init__(self, status: int, reason: str, message: str):
        self.status, self.reason = status, reason
        self.body = json.dumps(
            {
                "kind": "Status",
                "apiVersion": "v1",
                "status": "Failure",
                "message": message,
                "reason": reason,
                "code": status,
            }
        )
        super().__init__(f"({status}) Reason: {reason}")


def _cond(type_: str, status: str, reason: str = "", message: str = "") -> dict:
    return {"type": type_, "status": status, "reason": reason, "message": message}


class FakeCluster:
    """A one-node cluster's API as the kind driver sees it (see the module docstring).

    Parameters
    ----------
    failing_jobs : Jobs (names) whose pods exit non-zero until the backoff limit.
    stuck : Deployments/StatefulSets (names) whose pods never become ready (e.g. an image that is not loaded).
    """

    def __init__(self, failing_jobs: tuple[str, ...] = (), stuck: tuple[str, ...] = ()):
        self.objects: dict[tuple[str, str, str | None, str], dict] = {}  # (apiVersion, kind, namespace, name)
        self.crd_kinds: dict[tuple[str, str], bool] = {}  # established custom kinds -> namespaced
        self.crd_plurals: dict[tuple[str, str], str] = {}
        self.applied: list[str] = []
        self.failing_jobs, self.stuck = set(failing_jobs), set(stuck)

    # --- the API ---------------------------------------------------------------------------------------------

    def _namespaced(self, api_version: str, kind: str) -> bool:
        key = (api_version, kind)
        if key in BUILTIN:
            return BUILTIN[key]
        if key in self.crd_kinds:
            return self.crd_kinds[key]
        raise KindError(f"the cluster does not know {kind} ({api_version}): is its operator installed?")

    def apply(self, doc: dict, *, namespace: str, field_manager: str) -> dict:
        """Server-side apply, with the real server's refusals."""
        assert field_manager, "server-side apply needs a field manager"
        namespaced = self._namespaced(doc["apiVersion"], doc["kind"])
        meta = dict(doc["metadata"])
        if namespaced:
            meta.setdefault("namespace", namespace)
            if ("v1", "Namespace", None, meta["namespace"]) not in self.objects:
                raise ApiError(404, "NotFound", f'namespaces "{meta["namespace"]}" not found')
        else:
            meta.pop("namespace", None)
        key = (doc["apiVersion"], doc["kind"], meta.get("namespace"), meta["name"])
        old = self.objects.get(key, {})
        obj = json.loads(json.dumps({**doc, "metadata": meta}))
        obj["status"] = old.get("status", {})
        self.objects[key] = obj
        self.applied.append(f"{doc['kind']}/{meta['name']}")
        if doc["kind"] == "CustomResourceDefinition":  # a real server establishes a valid CRD within milliseconds
            spec = doc["spec"]
            for version in spec["versions"]:
                if version.get("served", True):
                    key = (f"{spec['group']}/{version['name']}", spec["names"]["kind"])
                    self.crd_kinds[key] = spec["scope"] == "Namespaced"
                    self.crd_plurals[key] = spec["names"]["plural"]
            obj["status"] = {"conditions": [_cond("NamesAccepted", "True"), _cond("Established", "True")]}
        return obj

    def get(self, api_version: str, kind: str, name: str, namespace: str) -> dict | None:
        namespaced = self._namespaced(api_version, kind)
        obj = self.objects.get((api_version, kind, namespace if namespaced else None, name))
        if obj is not None:
            self._reconcile(obj)
        return json.loads(json.dumps(obj)) if obj is not None else None

    def list(self, api_version: str, kind: str, namespace: str) -> list[dict]:
        namespaced = self._namespaced(api_version, kind)
        return [
            self.get(a, k, n, namespace)
            for (a, k, ns, n) in list(self.objects)
            if (a, k) == (api_version, kind) and ns == (namespace if namespaced else None)
        ]

    def events(self, kind: str, name: str, namespace: str) -> list[str]:
        if name in self.stuck:
            return [f"Warning Failed: Failed to pull image for {name}: ErrImageNeverPull"]
        if name in self.failing_jobs:
            return [f"Warning BackoffLimitExceeded: Job {name} has reached the specified backoff limit"]
        return []

    def pods(self, selector: str, namespace: str) -> list[str]:
        return []

    def log(self, pod: str, namespace: str, tail: int) -> str:
        return ""

    def nodes(self) -> list[dict]:
        return [
            {
                "metadata": {"name": f"{config.KIND_CLUSTER}-control-plane"},
                "status": {
                    "node_info": {
                        "kubelet_version": f"v{config.KUBERNETES_VERSION}",
                        "os_image": "Debian",
                        "container_runtime_version": "containerd://2.1",
                    }
                },
            }
        ]

    def kinds(self) -> dict[tuple[str, str], tuple[str, bool]]:
        """(apiVersion, kind) -> (plural, namespaced) of every kind the API serves now (discovery)."""
        out = {k: (PLURALS[k[1]], ns) for k, ns in BUILTIN.items()}
        out.update({k: (self.crd_plurals[k], ns) for k, ns in self.crd_kinds.items()})
        return out

    # --- the controllers -------------------------------------------------------------------------------------

    def _find(self, api_version: str, kind: str, namespace: str, name: str) -> dict | None:
        return self.objects.get((api_version, kind, namespace, name))

    def _reconcile(self, obj: dict) -> None:
        kind, spec, meta = obj["kind"], obj.get("spec") or {}, obj["metadata"]
        name, ns = meta["name"], meta.get("namespace")
        if kind in ("Deployment", "StatefulSet"):
            want = spec.get("replicas", 1)
            have = 0 if name in self.stuck else want
            field = "availableReplicas" if kind == "Deployment" else "readyReplicas"
            obj["status"] = {"replicas": want, "updatedReplicas": want, field: have}
            if kind == "Deployment":
                obj["status"]["conditions"] = [
                    _cond("Available", "True", "MinimumReplicasAvailable")
                    if have >= want
                    else _cond(
                        "Available",
                        "False",
                        "MinimumReplicasUnavailable",
                        "Deployment does not have minimum availability.",
                    )
                ]
        elif kind == "Job":
            if spec.get("suspend"):
                obj["status"] = {"conditions": [_cond("Suspended", "True", "JobSuspended", "Job suspended")]}
            elif name in self.failing_jobs:
                obj["status"] = {
                    "failed": spec.get("backoffLimit", 6) + 1,
                    "conditions": [
                        _cond("Failed", "True", "BackoffLimitExceeded", "Job has reached the specified backoff limit")
                    ],
                }
            else:
                obj["status"] = {"succeeded": 1, "conditions": [_cond("Complete", "True")]}
        elif kind == "Kafka":
            operator = self._find("apps/v1", "Deployment", ns, "strimzi-cluster-operator")
            pools = [
                o
                for (a, k, n, _), o in self.objects.items()
                if k == "KafkaNodePool"
                and n == ns
                and o["metadata"].get("labels", {}).get("strimzi.io/cluster") == name
            ]
            if operator is None:
                obj["status"] = {}  # nobody reconciles it
            elif not pools:
                obj["status"] = {
                    "conditions": [
                        _cond(
                            "NotReady",
                            "True",
                            "InvalidResourceException",
                            "No KafkaNodePools found for Kafka cluster " + name,
                        )
                    ]
                }
            else:
                obj["status"] = {
                    "conditions": [_cond("Ready", "True")],
                    "listeners": [{"name": "plain", "bootstrapServers": f"{name}-kafka-bootstrap.{ns}.svc:9092"}],
                }
        elif kind == "KafkaTopic":
            cluster = obj["metadata"].get("labels", {}).get("strimzi.io/cluster")
            kafka = self._find(STRIMZI, "Kafka", ns, cluster)
            if kafka is not None:
                self._reconcile(kafka)
            ok = kafka is not None and any(
                c["type"] == "Ready" and c["status"] == "True" for c in kafka["status"].get("conditions", [])
            )
            obj["status"] = {"conditions": [_cond("Ready", "True")]} if ok else {}


def strimzi_install(schemas: Path) -> list[dict]:
    """An abridged Strimzi install file: its real CRDs (the pinned ones in `schemas`) and the operator's own objects
    the way the release file has them (in namespace `myproject`, which lab.kind.set_namespace rewrites)."""
    crds = [yaml.safe_load(p.read_text()) for p in sorted(schemas.glob("*-Crd-*.yaml"))]
    assert crds, f"no Strimzi CRDs in {schemas}"
    labels = {"app": "strimzi"}
    rbac = "rbac.authorization.k8s.io/v1"
    role_ref = {"kind": "ClusterRole", "name": "strimzi-cluster-operator-namespaced", "apiGroup": rbac.split("/")[0]}
    operator = [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "strimzi-cluster-operator", "namespace": "myproject", "labels": labels},
        },
        {
            "apiVersion": rbac,
            "kind": "ClusterRole",
            "metadata": {"name": "strimzi-cluster-operator-namespaced"},
            "rules": [{"apiGroups": ["kafka.strimzi.io"], "resources": ["*"], "verbs": ["*"]}],
        },
        {
            "apiVersion": rbac,
            "kind": "RoleBinding",
            "metadata": {"name": "strimzi-cluster-operator", "namespace": "myproject", "labels": labels},
            "subjects": [{"kind": "ServiceAccount", "name": "strimzi-cluster-operator", "namespace": "myproject"}],
            "roleRef": role_ref,
        },
        {
            "apiVersion": rbac,
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "strimzi-cluster-operator"},
            "subjects": [{"kind": "ServiceAccount", "name": "strimzi-cluster-operator", "namespace": "myproject"}],
            "roleRef": role_ref,
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "strimzi-cluster-operator", "namespace": "myproject", "labels": labels},
            "data": {"log4j2.properties": "rootLogger.level=INFO\n"},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "strimzi-cluster-operator", "namespace": "myproject", "labels": labels},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"name": "strimzi-cluster-operator"}},
                "template": {
                    "metadata": {"labels": {"name": "strimzi-cluster-operator"}},
                    "spec": {
                        "serviceAccountName": "strimzi-cluster-operator",
                        "containers": [
                            {
                                "name": "strimzi-cluster-operator",
                                "image": f"quay.io/strimzi/operator:{config.STRIMZI_VERSION}",
                            }
                        ],
                    },
                },
            },
        },
    ]
    return crds + operator
