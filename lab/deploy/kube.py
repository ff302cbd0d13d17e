"""The kind target's driver: server-side apply in order, bounded waits on real conditions, status, logs, endpoints."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterable

from lab import config
from lab.deploy import kind
from lab.deploy.kubeclient import KubeClient
from lab.errors import KindError, ServiceNotReady, ServiceStartError
from lab.wait import until

STRIMZI_API = config.STRIMZI_API
FIELD_MANAGER = "kappa-lab"
APP_IMAGES = {"spark": config.SPARK_IMAGE, "producer": config.PRODUCER_IMAGE}  # built by us, loaded into kind
# What "ready" means, per service: the objects whose real condition we wait on, in order.
READY = {
    "strimzi": [("apps/v1", "Deployment", "strimzi-cluster-operator")],
    "kafka": [
        (STRIMZI_API, "Kafka", config.KAFKA_CLUSTER),
        (STRIMZI_API, "KafkaTopic", config.TRIPS_TOPIC),
        (STRIMZI_API, "KafkaTopic", config.DLQ_TOPIC),
    ],
    "schema_registry": [("apps/v1", "Deployment", "apicurio-registry")],
    "cassandra": [("apps/v1", "StatefulSet", "cassandra"), ("batch/v1", "Job", "cassandra-schema")],
    "prometheus": [("apps/v1", "Deployment", "prometheus")],
    "grafana": [("apps/v1", "Deployment", "grafana")],
    "spark": [("apps/v1", "Deployment", "spark-stream")],
    "producer": [("batch/v1", "Job", "producer")],
}
# The in-cluster apps, deployed idle (0 replicas, a suspended Job) so they never write into what the notebooks count.
APPS = {"spark": ("apps/v1", "Deployment", "spark-stream"), "producer": ("batch/v1", "Job", "producer")}
PODS = {  # label selectors of each service's pods (logs)
    "strimzi": "strimzi.io/kind=cluster-operator",
    "kafka": f"strimzi.io/cluster={config.KAFKA_CLUSTER},strimzi.io/pool-name={config.KAFKA_NODE_POOL}",
    "schema_registry": "app.kubernetes.io/name=apicurio-registry",
    "cassandra": "app.kubernetes.io/name=cassandra",
    "prometheus": "app.kubernetes.io/name=prometheus",
    "grafana": "app.kubernetes.io/name=grafana",
    "spark": "app.kubernetes.io/name=spark-stream",
    "producer": "app.kubernetes.io/name=producer",
}
_BY_APP_LABEL = {
    "apicurio-registry": "schema_registry",
    "cassandra-schema": "cassandra",
    "spark-stream": "spark",
    "cassandra": "cassandra",
    "prometheus": "prometheus",
    "grafana": "grafana",
    "producer": "producer",
}
# Apply order: what others refer to first; custom resources after their operator; Jobs last.
KIND_ORDER = [
    "Namespace",
    "CustomResourceDefinition",
    "ServiceAccount",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "ConfigMap",
    "Secret",
    "PersistentVolumeClaim",
    "Service",
    "Deployment",
    "StatefulSet",
    "KafkaNodePool",
    "Kafka",
    "KafkaTopic",
    "KafkaUser",
    "Job",
]
_client = None


def use_client(client) -> None:
    """Use this client (a KubeClient, or a fake with the same methods in unit tests); None resets."""
    global _client
    _client = client


def given_cluster() -> tuple[str, str | None] | None:
    """(context, kubeconfig) of a cluster the lab is told to use (env LAB_KUBE_CONTEXT, LAB_KUBECONFIG), else None.

    On a given cluster `up` creates no kind cluster and loads no image: it applies and waits, as on kind
    (lab.controlplane.use() points here at the control plane on loopback).
    """
    context, kubeconfig = os.environ.get("LAB_KUBE_CONTEXT"), os.environ.get("LAB_KUBECONFIG")
    if not (context or kubeconfig):
        return None
    return context or "", kubeconfig


def client():
    """The API client of the given cluster (given_cluster()), else of the kind cluster's context (kind-<KIND_CLUSTER>);
    KindError when there is no such cluster."""
    global _client
    if _client is None:
        given = given_cluster()
        _client = (
            KubeClient(given[0] or None, kubeconfig=given[1]) if given else KubeClient(f"kind-{config.KIND_CLUSTER}")
        )
    return _client


def service_of(doc: dict) -> str | None:
    """The service an object belongs to (None: shared, e.g. the Namespace, ConfigMaps, Secrets)."""
    if doc.get("apiVersion", "").startswith("kafka.strimzi.io/"):
        return "kafka"
    if doc.get("kind") in ("ConfigMap", "Secret", "Namespace"):
        return None
    return _BY_APP_LABEL.get(doc.get("metadata", {}).get("labels", {}).get("app.kubernetes.io/name", ""))


def ordered(docs: Iterable[dict]) -> list[dict]:
    """The objects in apply order (KIND_ORDER; unknown kinds before Jobs, stable otherwise)."""
    rank = {k: i for i, k in enumerate(KIND_ORDER)}
    return sorted(docs, key=lambda d: rank.get(d.get("kind"), len(KIND_ORDER) - 1.5))


TEMPLATE_HASH = "kappa-lab/template-hash"  # annotation on a Job: the hash of the pod template it was created with


def template_hash(doc: dict) -> str:
    """A short hash of a Job's pod template as rendered (what the API server refuses to change in place).

    >>> template_hash({"spec": {"template": {"a": 1}}}) == template_hash({"spec": {"template": {"a": 1}}})
    True
    """
    text = json.dumps((doc.get("spec") or {}).get("template"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def api_message(exc: Exception, limit: int = 400) -> str:
    """The API server's own message in an error (its Status body's message, long ones cut in the middle).

    >>> api_message(Exception('{"kind": "Status", "message": "namespaces not found", "code": 404}'))
    'namespaces not found (HTTP 404)'
    """
    body = getattr(exc, "body", None) or str(exc)
    try:
        status = json.loads(body)
        text = f"{status['message']} (HTTP {status.get('code')})"
    except (ValueError, KeyError, TypeError):
        text = str(body)
    return text if len(text) <= limit else f"{text[: limit // 2]} … {text[-limit // 2 :]}"


def _replace_changed_job(doc: dict, timeout: float = 120) -> bool:
    """A Job's pod template is immutable: when the rendered one differs from the live Job's (TEMPLATE_HASH), delete
    the live Job and its pods and wait until it is gone, so the apply creates it anew. True when it was replaced."""
    name = doc["metadata"]["name"]
    live = client().get("batch/v1", "Job", name, config.NAMESPACE)
    if live is None or (live["metadata"].get("annotations") or {}).get(TEMPLATE_HASH) == template_hash(doc):
        return False
    client().delete("batch/v1", "Job", name, config.NAMESPACE, propagation="Foreground")
    until(
        lambda: client().get("batch/v1", "Job", name, config.NAMESPACE) is None,
        service=f"Job/{name} deleted (its pod template changed)",
        timeout=timeout,
        interval=0.5,
    )
    return True


def apply(docs: Iterable[dict]) -> list[str]:
    """Server-side apply every object in order; returns 'Kind/name' of each, KindError naming the one that failed.

    A Job whose pod template changed since it was created (image, env, script) is deleted and created anew: the API
    server refuses to change a Job's template in place (`field is immutable`).
    """
    done = []
    for doc in ordered(docs):
        ref = f"{doc['kind']}/{doc['metadata']['name']}"
        try:
            if doc["kind"] == "Job":
                meta = doc["metadata"] = dict(doc["metadata"])
                meta["annotations"] = {**(meta.get("annotations") or {}), TEMPLATE_HASH: template_hash(doc)}
                _replace_changed_job(doc)
            client().apply(doc, namespace=config.NAMESPACE, field_manager=FIELD_MANAGER)
        except KindError:
            raise
        except Exception as exc:  # noqa: BLE001 - the API's answer is the message
            raise KindError(f"applying {ref} failed: {api_message(exc)}") from exc
        done.append(ref)
    return done


def _conditions(obj: dict) -> dict[str, dict]:
    return {c.get("type"): c for c in (obj.get("status") or {}).get("conditions") or []}


def ready(obj: dict | None) -> tuple[bool, str]:
    """(is it ready, its status in words) for a Kafka/KafkaTopic/CRD/Deployment/StatefulSet/Job object."""
    if obj is None:
        return False, "not found (not applied yet?)"
    kind, status, spec = obj.get("kind"), obj.get("status") or {}, obj.get("spec") or {}
    conds = _conditions(obj)
    text = (
        "; ".join(
            f"{t}={c.get('status')}" + (f" ({c.get('reason')}: {c.get('message')})" if c.get("message") else "")
            for t, c in conds.items()
        )
        or "no conditions yet"
    )
    if kind in ("Deployment", "StatefulSet"):
        want = spec.get("replicas", 1)
        have = status.get("availableReplicas" if kind == "Deployment" else "readyReplicas") or 0
        ok = have >= want and (status.get("updatedReplicas") or 0) >= want
        return ok, f"{have}/{want} replicas ready, {status.get('updatedReplicas') or 0} updated; {text}"
    if kind == "Job" and spec.get("suspend"):
        return True, f"suspended (deployed idle; lab.kube.start_app starts it); {text}"
    if kind == "Job":
        return conds.get("Complete", {}).get("status") == "True", text
    if kind == "CustomResourceDefinition":
        return conds.get("Established", {}).get("status") == "True", text
    return conds.get("Ready", {}).get("status") == "True", text  # Strimzi resources


def failed(obj: dict | None) -> str | None:
    """Why an object can never become ready (a failed Job), else None: stops a wait at once."""
    if obj and obj.get("kind") == "Job" and _conditions(obj).get("Failed", {}).get("status") == "True":
        return f"Job failed: {_conditions(obj)['Failed'].get('message')}"
    return None


def wait_for(api_version: str, kind_: str, name: str, timeout: float = 600, interval: float = 2.0) -> dict:
    """Poll one object until ready(); KindError naming it with its last status and recent events otherwise."""
    last: dict = {"obj": None}

    def probe():
        last["obj"] = client().get(api_version, kind_, name, config.NAMESPACE)
        return last["obj"] if ready(last["obj"])[0] else None

    try:
        return until(
            probe, service=f"{kind_}/{name}", timeout=timeout, interval=interval, alive=lambda: failed(last["obj"])
        )
    except (ServiceNotReady, ServiceStartError) as exc:
        found = client().events(kind_, name, config.NAMESPACE)[-8:]
        if hasattr(client(), "pod_warnings"):  # its pods' (FailedScheduling: the scheduler's own verdict)
            found += client().pod_warnings(name, config.NAMESPACE)[-4:]
        events = "\n".join(f"  {e}" for e in found) or "  (none)"
        what = f"not ready after {exc.waited_s:.0f}s" if isinstance(exc, ServiceNotReady) else "failed"
        raise KindError(
            f"{kind_}/{name} in namespace {config.NAMESPACE} {what}: {ready(last['obj'])[1]}\n"
            f"recent events:\n{events}\nmore: `lab --target kind logs`, "
            f"`kubectl -n {config.NAMESPACE} describe {kind_.lower()} {name}`"
        ) from exc


def wait_ready(name: str, timeout: float = 600, interval: float = 2.0) -> None:
    """Wait until every object of a service (READY[name]) is ready, each within `timeout` seconds."""
    if name not in READY:
        raise KindError(f"unknown service {name!r}: choose one of {', '.join(READY)}")
    for api_version, kind_, obj_name in READY[name]:
        wait_for(api_version, kind_, obj_name, timeout=timeout, interval=interval)


def install_strimzi(timeout: float = 300, docs: list[dict] | None = None) -> list[str]:
    """Apply the pinned Strimzi operator (CRDs, RBAC, Deployment) and wait until its CRDs and operator are ready."""
    docs = docs if docs is not None else kind.strimzi_manifests()
    applied = apply(docs)
    for doc in docs:
        if doc["kind"] == "CustomResourceDefinition":
            wait_for("apiextensions.k8s.io/v1", doc["kind"], doc["metadata"]["name"], timeout=timeout)
    wait_ready("strimzi", timeout=timeout)
    return applied


def manifests(names: Iterable[str] = config.KIND_COMPONENTS) -> list[dict]:
    """The rendered kind overlay plus the Grafana chart, keeping shared objects and those of `names`."""
    names = set(names)
    docs = kind.render("kind") + (kind.grafana_manifests() if "grafana" in names else [])
    return [d for d in docs if service_of(d) in names or service_of(d) is None]


def missing_images() -> dict[str, str]:
    """The apps whose image was neither built nor loaded: app → image (`lab up` on kind leaves them out and says so).
    None on a given cluster (given_cluster()): its images are its own business, the lab loads none."""
    if given_cluster():
        return {}
    return {name: image for name, image in APP_IMAGES.items() if not kind.image_present(image)}


def skipped() -> dict[str, str]:
    """Services `up` leaves out by default: service → why (an app whose image is missing on kind; Grafana on a given
    cluster without helm, whose chart only `helm template` renders)."""
    out = {app: f"image {image} not built (see k8s/README.md, 'Images')" for app, image in missing_images().items()}
    if given_cluster() and not shutil.which("helm"):
        out["grafana"] = "helm is not on PATH (its chart is rendered with `helm template`)"
    return out


def default_services() -> list[str]:
    """Every service, except those skipped() names (the CLI says why)."""
    left_out = skipped()
    return [name for name in config.KIND_COMPONENTS if name not in left_out]


def up(names: Iterable[str] | None = None, timeout: float = 600) -> list[str]:
    """Create the kind cluster if needed (not on a given cluster), install Strimzi, apply the lab and wait for `names`
    (default: default_services())."""
    unknown = set(names or ()) - set(config.KIND_COMPONENTS)
    if unknown:
        raise KindError(
            f"unknown service(s) {', '.join(sorted(unknown))}: choose from {', '.join(config.KIND_COMPONENTS)}"
        )
    names = [n for n in config.KIND_COMPONENTS if n in set(names)] if names is not None else default_services()
    if not given_cluster():  # a given cluster exists already and gets its images its own way
        kind.preflight()
        kind.create_cluster()
        for name in names:
            if name in APP_IMAGES:
                kind.load_image(APP_IMAGES[name])
    docs = manifests(names)
    apply([d for d in docs if d["kind"] == "Namespace"])  # Strimzi's operator objects go into it
    install_strimzi(timeout=timeout)
    apply(docs)
    for name in names:
        wait_ready(name, timeout=timeout)
    return names


def _app(name: str, running: bool) -> dict:
    """The rendered object of an in-cluster app, set to run (1 replica, not suspended) or to idle."""
    if name not in APPS:
        raise KindError(f"unknown app {name!r}: choose one of {', '.join(APPS)}")
    _, kind_, obj_name = APPS[name]
    doc = next(d for d in manifests([name]) if d["kind"] == kind_ and d["metadata"]["name"] == obj_name)
    if kind_ == "Deployment":
        doc["spec"]["replicas"] = 1 if running else 0
    else:
        doc["spec"]["suspend"] = not running
    return doc


STARTED = "kappa-lab/started-at"  # annotation on the producer Job: when it was first started (it does not resume)


def start_app(name: str, timeout: float = 600, interval: float = 2.0, again: bool = False) -> dict:
    """Start an app deployed idle ('spark': 1 replica; 'producer': the Job unsuspended) and wait until it runs.

    The producer sends its month from the first row and does not resume: once started, starting it again (after
    stop_app, or when it completed) raises KindError saying so, unless `again=True`, which creates the Job anew and
    sends the month a second time.
    """
    doc = _app(name, True)
    api_version, kind_, obj_name = APPS[name]
    if kind_ == "Job":
        live = client().get(api_version, kind_, obj_name, config.NAMESPACE)
        started = ((live or {}).get("metadata", {}).get("annotations") or {}).get(STARTED)
        if started and not again:
            raise KindError(
                f"the {name} Job already ran (started {started}); it does not resume, so starting it again sends its "
                f"month to {config.TRIPS_TOPIC} a second time, from the first row. To do that on purpose: "
                f"lab.kube.start_app({name!r}, again=True) (the Job is created anew)"
            )
        if started:
            client().delete(api_version, kind_, obj_name, config.NAMESPACE, propagation="Foreground")
            until(
                lambda: client().get(api_version, kind_, obj_name, config.NAMESPACE) is None,
                service=f"{kind_}/{obj_name} deleted",
                timeout=timeout,
                interval=interval,
            )
    apply([doc])
    if kind_ == "Job":  # its own field manager: `up` re-applying the render does not remove it
        mark = {"apiVersion": api_version, "kind": kind_, "metadata": {"name": obj_name, "annotations": {
            STARTED: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}}}  # fmt: skip
        client().apply(mark, namespace=config.NAMESPACE, field_manager=f"{FIELD_MANAGER}-apps")
    if kind_ == "Deployment":
        return wait_for(api_version, kind_, obj_name, timeout=timeout, interval=interval)
    last: dict = {"obj": None}

    def running():
        obj = last["obj"] = client().get(api_version, kind_, obj_name, config.NAMESPACE)
        done = _conditions(obj or {}).get("Complete", {}).get("status") == "True"
        return obj if ((obj or {}).get("status") or {}).get("active") or done else None

    try:
        return until(
            running,
            service=f"{kind_}/{obj_name}",
            timeout=timeout,
            interval=interval,
            alive=lambda: failed(last["obj"]),
        )
    except (ServiceNotReady, ServiceStartError) as exc:
        raise KindError(
            f"{kind_}/{obj_name} did not start: {ready(last['obj'])[1]}; `lab kind logs {name}` shows why"
        ) from exc


def stop_app(name: str, timeout: float = 300, interval: float = 1.0) -> None:
    """Return an app to idle (0 replicas; the Job suspended, which ends its pod) and wait until its pods have ended,
    so nothing it writes arrives after this returns."""
    apply([_app(name, False)])
    until(
        lambda: not client().running_pods(PODS[name], config.NAMESPACE),
        service=f"{name}'s pods ended",
        timeout=timeout,
        interval=interval,
    )


def stop(name: str, timeout: float = 300, interval: float = 2.0) -> bool:
    """Scale a service down on kind (its Deployment or StatefulSet to 0 replicas; an app back to idle) and wait until
    its pods are gone; True when done. Strimzi's Kafka has no such switch: `lab down --target kind` deletes the cluster."""
    if name in APPS:
        stop_app(name)
        return True
    if name not in READY:
        raise KindError(f"unknown service {name!r}: choose one of {', '.join(READY)}")
    scalable = [(a, k, n) for a, k, n in READY[name] if k in ("Deployment", "StatefulSet")]
    if not scalable:
        raise KindError(
            f"{name} cannot be stopped alone on kind (Strimzi keeps its brokers running); "
            "`lab down --target kind` deletes the whole cluster"
        )
    docs = [d for d in manifests([name]) if (d["apiVersion"], d["kind"], d["metadata"]["name"]) in scalable]
    for doc in docs:
        doc["spec"]["replicas"] = 0
    apply(docs)
    for api_version, kind_, obj_name in scalable:
        until(
            lambda a=api_version, k=kind_, n=obj_name: (
                not ((client().get(a, k, n, config.NAMESPACE) or {}).get("status") or {}).get("replicas")
            ),
            service=f"{kind_}/{obj_name} scaled to 0",
            timeout=timeout,
            interval=interval,
        )
    return True


def down() -> bool:
    """Delete the kind cluster and everything in it (the reset of the kind target); True when there was one.
    On a given cluster: delete the lab's namespace (and so everything in it) and wait until it is gone."""
    if given_cluster():
        if client().get("v1", "Namespace", config.NAMESPACE, config.NAMESPACE) is None:
            return False
        client().delete("v1", "Namespace", config.NAMESPACE, config.NAMESPACE)
        until(
            lambda: client().get("v1", "Namespace", config.NAMESPACE, config.NAMESPACE) is None,
            service=f"namespace {config.NAMESPACE} deleted",
            timeout=300,
            interval=1.0,
        )
        return True
    use_client(None)
    return kind.delete_cluster()


def status() -> list[dict]:
    """One row per object of every service: service, object, ready, status."""
    rows = []
    for name, objs in READY.items():
        for api_version, kind_, obj_name in objs:
            ok, text = ready(client().get(api_version, kind_, obj_name, config.NAMESPACE))
            rows.append({"service": name, "object": f"{kind_}/{obj_name}", "ready": ok, "status": text})
    return rows


def logs(name: str, tail: int = 100) -> str:
    """The last `tail` lines of each pod of a service."""
    if name not in PODS:
        raise KindError(f"unknown service {name!r}: choose one of {', '.join(PODS)}")
    pods = client().pods(PODS[name], config.NAMESPACE)
    if not pods:
        return f"(no pods for {name} in namespace {config.NAMESPACE})"
    return "\n".join(f"--- {pod} ---\n{client().log(pod, config.NAMESPACE, tail)}" for pod in pods)


def in_cluster() -> bool:
    """True inside a pod (the Spark driver, the producer): addresses are then Service names, not host ports."""
    return "KUBERNETES_SERVICE_HOST" in os.environ


def endpoint(name: str) -> str:
    """Where a client reaches a service of the kind target: host ports via kind's port mappings, or in-cluster names
    (config.KIND_SERVICES; env LAB_SERVICE_<NAME>, e.g. LAB_SERVICE_KAFKA=host:port, overrides one in a pod)."""
    if in_cluster():
        key = "registry" if name == "schema_registry" else name
        addr = os.environ.get(f"LAB_SERVICE_{key.upper()}") or config.KIND_SERVICES[key]
    else:
        port = config.KIND_HOST_PORTS[
            {"kafka": "kafka_bootstrap", "schema_registry": "registry", "cassandra": "cassandra_cql"}.get(name, name)
        ]
        addr = f"127.0.0.1:{port}"
    if name == "schema_registry":
        return f"http://{addr}{config.REGISTRY_CCOMPAT_PATH}"
    return f"http://{addr}" if name in ("prometheus", "grafana") else addr


def cassandra_credentials() -> tuple[str, str]:
    """(user, password) of the lab's Cassandra role: env LAB_CASSANDRA_USERNAME/PASSWORD in pods, else the generated Secret."""
    if os.environ.get("LAB_CASSANDRA_PASSWORD"):
        return os.environ.get("LAB_CASSANDRA_USERNAME", config.CASSANDRA_USER), os.environ["LAB_CASSANDRA_PASSWORD"]
    values = kind.secret_values("cassandra-auth")
    return values["username"], values["password"]


def grafana_admin() -> tuple[str, str]:
    """(user, password) of Grafana's admin, from the generated Secret."""
    values = kind.secret_values("grafana-admin")
    return values["admin-user"], values["admin-password"]


def cluster_nodes() -> list[dict]:
    """The kind node(s): name, Kubernetes version, OS, container runtime (notebook 00 shows them)."""
    rows = []
    for node in client().nodes():
        info = node["status"]["node_info"]
        rows.append(
            {
                "node": node["metadata"]["name"],
                "kubernetes": info["kubelet_version"],
                "os": info["os_image"],
                "runtime": info["container_runtime_version"],
            }
        )
    return rows


def host_ports() -> list[dict]:
    """Which host port (127.0.0.1) reaches each service's NodePort in the kind cluster."""
    return [
        {"service": svc, "host": f"127.0.0.1:{config.KIND_HOST_PORTS[svc]}", "node_port": node_port}
        for svc, node_port in config.KIND_NODEPORTS.items()
    ]


def _detail(kind_: str, spec: dict, st: dict) -> str:
    """One line on a Strimzi resource: version and listeners, roles, partitions and config, or authentication."""
    if kind_ == "Kafka":
        listeners = ", ".join(f"{x['name']}={x.get('bootstrapServers')}" for x in st.get("listeners", []))
        return f"Kafka {spec['kafka'].get('version')}, listeners {listeners}"
    if kind_ == "KafkaNodePool":
        return f"{spec.get('replicas')} x {'+'.join(spec.get('roles', []))}, node ids {st.get('nodeIds')}"
    if kind_ == "KafkaTopic":
        return f"{spec.get('partitions')} partitions, config {spec.get('config', {})}"
    return f"authentication {spec.get('authentication', {}).get('type')}"


def strimzi_resources() -> list[dict]:
    """The Strimzi custom resources: Kafka, node pools, topics and users with their state (notebooks 01 and 08)."""
    rows = []
    for kind_ in ("Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser"):
        for obj in client().list(config.STRIMZI_API, kind_, config.NAMESPACE):
            rows.append(
                {
                    "kind": kind_,
                    "name": obj["metadata"]["name"],
                    "ready": ready(obj)[0],
                    "detail": _detail(kind_, obj.get("spec") or {}, obj.get("status") or {}),
                }
            )
    return rows
