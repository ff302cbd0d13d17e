"""A real Kubernetes control plane on 127.0.0.1: etcd, kube-apiserver, kube-controller-manager, kube-scheduler and
kwok's fake nodes (kwok plays the kubelet: pods are scheduled by the real scheduler and marked Running/Ready, Jobs'
pods Succeeded, but no container ever runs). Started on demand like the archive, and by the k8s test tier.

What is real: objects, admission, server-side apply, CRD schemas and CEL rules, RBAC, controllers (Deployment →
ReplicaSet → Pods, StatefulSet and its PVCs, Jobs, garbage collection) and scheduling. What is not: containers
(no logs, no exec, no networking; pod and Service IPs are made up — never connect to them), volume provisioning
(static PVs in a default StorageClass) and operators (strimzi_status_standin() sets the Strimzi resources' status).

The binaries (config.CONTROL_PLANE_*_VERSION): env LAB_K8S_BIN (a folder holding them, or a .tar.xz of them), else
the shared tarball beside the clone (../shared/k8s-control-plane/bin/*.tar.xz) extracted under <lab_home>/k8s/bin.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import yaml

from lab import config
from lab.deploy import kind, kube
from lab.deploy.kubeclient import KubeClient
from lab.errors import LabError, ServiceStartError
from lab.services.process import LocalProcess
from lab.wait import until

COMPONENTS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")  # start order
BINARIES = (*COMPONENTS, "kubectl")
CONTEXT = "lab-control-plane"
STAGES = config.RESOURCES / "k8s" / "kwok-stages.yaml"
SERVICE_CIDR = "10.96.0.0/16"  # made-up addresses: nothing may connect to them
POD_CIDR = "10.244.0.0/16"
# Fake node sizes: a learner's Docker VM (Colima / Rancher Desktop defaults) and GitHub's standard Linux runner.
NODE_SIZES = {
    "learner": {"cpu": "2", "memory": "8Gi", "pods": "110", "ephemeral-storage": "60Gi"},
    "github": {"cpu": "4", "memory": "16Gi", "pods": "110", "ephemeral-storage": "70Gi"},
}
KIND_SYSTEM_PODS = kind.KIND_SYSTEM_PODS  # kind's own pods: kind_system_pods() puts their requests on a node
PV_COUNT = 8
_HOWTO = (
    "set LAB_K8S_BIN to a folder with etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl and "
    "kwok (or to a .tar.xz of them): `make k8s-bin` downloads the official Linux release binaries into "
    "<lab_home>/k8s/bin, the way `kwokctl --runtime binary` fetches them; or build them from Go modules (README, "
    "'Kubernetes control plane'); on the build machines the tarball is ../shared/k8s-control-plane/bin/"
)


def home() -> Path:
    """State of the control plane: PKI, etcd data, kubeconfigs (<lab_home>/k8s)."""
    return config.lab_home() / "k8s"


_PROCS: dict[tuple, dict[str, LocalProcess]] = {}


def _procs() -> dict[str, LocalProcess]:
    """The components' process handles (one set per LAB_HOME and port offset, so a spawned child stays reaped)."""
    p = config.control_plane_ports()
    key = (str(config.lab_home()), p.api)
    if key in _PROCS:
        return _PROCS[key]
    ports = {
        "etcd": (p.etcd, p.etcd_peer),
        "kube-apiserver": (p.api,),
        "kube-controller-manager": (p.controller_manager,),
        "kube-scheduler": (p.scheduler,),
        "kwok": (p.kwok,),
    }
    _PROCS[key] = {name: LocalProcess(f"k8s-{name}", ports[name]) for name in COMPONENTS}
    return _PROCS[key]


def _shared_tarballs() -> list[Path]:
    return sorted((config.shared_dir() / "k8s-control-plane" / "bin").glob("*.tar.xz"))


def bin_dir() -> Path:
    """The folder with the binaries (extracting the tarball once when needed); LabError saying how to get them."""
    source = os.environ.get("LAB_K8S_BIN")
    if source and Path(source).is_dir():
        folder = Path(source)
    else:
        tarballs = [Path(source)] if source else _shared_tarballs()
        folder = home() / "bin"
        if not all((folder / b).exists() for b in BINARIES) and tarballs:
            if not tarballs[0].is_file():
                raise LabError(f"LAB_K8S_BIN={source} is neither a folder nor a tarball: {_HOWTO}")
            folder.mkdir(parents=True, exist_ok=True)
            with tarfile.open(tarballs[-1]) as tar:
                try:
                    tar.extractall(folder, filter="data")
                except TypeError:  # Python < 3.11.4 has no extraction filters
                    tar.extractall(folder)  # our own pinned tarball
    missing = [b for b in BINARIES if not os.access(folder / b, os.X_OK)]
    if missing:
        raise LabError(
            f"the Kubernetes control plane's binaries are missing ({', '.join(missing)} in {folder}): {_HOWTO}"
        )
    return folder


def kubectl() -> Path:
    """The kubectl of the control plane's version."""
    return bin_dir() / "kubectl"


def kubeconfig() -> Path:
    """The admin kubeconfig (context CONTEXT, cluster-admin) of the running control plane."""
    return home() / "admin.kubeconfig"


def _pki() -> Path:
    """Self-signed CA, serving and client certificates, service-account keys (openssl; made once)."""
    pki = home() / "pki"
    if (pki / "done").exists():
        return pki
    pki.mkdir(parents=True, exist_ok=True)
    ossl = shutil.which("openssl")
    if not ossl:
        raise LabError("openssl is not on PATH: the control plane's certificates are made with it; install openssl")

    def run(*args: str) -> None:
        out = subprocess.run([ossl, *args], cwd=pki, capture_output=True, text=True)
        if out.returncode:
            raise LabError(f"openssl {args[0]} failed making the control plane's certificates: {out.stderr[-500:]}")

    client = (
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth"
    )
    names = "DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
    server = client.replace("clientAuth", "serverAuth") + f"\nsubjectAltName=IP:127.0.0.1,IP:10.96.0.1,{names}"
    for ca in ("ca", "front-proxy-ca"):
        run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{ca}.key", "-out", f"{ca}.crt",
            "-days", "3650", "-subj", f"/CN=lab-{ca}")  # fmt: skip
    certs = {  # name: (subject, extensions, CA)
        "apiserver": ("/CN=kube-apiserver", server, "ca"),
        "admin": ("/O=system:masters/CN=lab-admin", client, "ca"),
        "controller-manager": ("/CN=system:kube-controller-manager", client, "ca"),
        "scheduler": ("/CN=system:kube-scheduler", client, "ca"),
        "kwok": ("/O=system:masters/CN=kwok", client, "ca"),  # kwok acts for every fake node's kubelet
        "front-proxy-client": ("/CN=front-proxy-client", client, "front-proxy-ca"),
    }
    for name, (subj, ext, ca) in certs.items():
        (pki / f"{name}.ext").write_text(ext + "\n")
        run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subj)
        run("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key", "-CAcreateserial",
            "-out", f"{name}.crt", "-days", "3650", "-extfile", f"{name}.ext")  # fmt: skip
    run("genrsa", "-out", "sa.key", "2048")
    run("rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub")
    for path in pki.glob("*.key"):
        path.chmod(0o600)
    (pki / "done").write_text("")
    return pki


def _write_kubeconfig(user: str) -> Path:
    pki = home() / "pki"

    def b64(name: str) -> str:
        return base64.b64encode((pki / name).read_bytes()).decode()

    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": CONTEXT,
                "cluster": {
                    "server": f"https://127.0.0.1:{config.control_plane_ports().api}",
                    "certificate-authority-data": b64("ca.crt"),
                },
            }
        ],
        "users": [
            {
                "name": user,
                "user": {"client-certificate-data": b64(f"{user}.crt"), "client-key-data": b64(f"{user}.key")},
            }
        ],
        "contexts": [{"name": CONTEXT, "context": {"cluster": CONTEXT, "user": user}}],
        "current-context": CONTEXT,
    }
    path = home() / f"{user}.kubeconfig"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    path.chmod(0o600)
    return path


def _argv(name: str, bins: Path, pki: Path) -> list[str]:
    p, h = config.control_plane_ports(), home()
    if name == "etcd":
        client, peer = f"http://127.0.0.1:{p.etcd}", f"http://127.0.0.1:{p.etcd_peer}"
        return [str(bins / "etcd"), "--name=lab", f"--data-dir={h / 'etcd'}", f"--listen-client-urls={client}",
                f"--advertise-client-urls={client}", f"--listen-peer-urls={peer}",
                f"--initial-advertise-peer-urls={peer}", f"--initial-cluster=lab={peer}",
                "--unsafe-no-fsync=true", "--log-level=warn"]  # fmt: skip  # throwaway test data: no fsync
    if name == "kube-apiserver":
        return [str(bins / name), "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
                f"--secure-port={p.api}", f"--etcd-servers=http://127.0.0.1:{p.etcd}",
                f"--client-ca-file={pki / 'ca.crt'}", f"--tls-cert-file={pki / 'apiserver.crt'}",
                f"--tls-private-key-file={pki / 'apiserver.key'}",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                f"--service-account-key-file={pki / 'sa.pub'}", f"--service-account-signing-key-file={pki / 'sa.key'}",
                f"--service-cluster-ip-range={SERVICE_CIDR}", "--authorization-mode=Node,RBAC",
                "--allow-privileged=true", "--endpoint-reconciler-type=none",
                f"--requestheader-client-ca-file={pki / 'front-proxy-ca.crt'}",
                "--requestheader-allowed-names=front-proxy-client", "--requestheader-username-headers=X-Remote-User",
                "--requestheader-group-headers=X-Remote-Group", "--requestheader-extra-headers-prefix=X-Remote-Extra-",
                f"--proxy-client-cert-file={pki / 'front-proxy-client.crt'}",
                f"--proxy-client-key-file={pki / 'front-proxy-client.key'}",
                f"--cert-dir={h / 'apiserver-certs'}", "--profiling=false", "--v=1"]  # fmt: skip
    if name in ("kube-controller-manager", "kube-scheduler"):
        kc = h / f"{name.removeprefix('kube-')}.kubeconfig"
        port = p.controller_manager if name == "kube-controller-manager" else p.scheduler
        argv = [str(bins / name), f"--kubeconfig={kc}", f"--authentication-kubeconfig={kc}",
                f"--authorization-kubeconfig={kc}", "--bind-address=127.0.0.1", f"--secure-port={port}",
                "--leader-elect=false", "--profiling=false", "--v=1"]  # fmt: skip
        if name == "kube-controller-manager":
            argv += [f"--service-account-private-key-file={pki / 'sa.key'}", f"--root-ca-file={pki / 'ca.crt'}",
                     "--use-service-account-credentials=true", f"--cluster-signing-cert-file={pki / 'ca.crt'}",
                     f"--cluster-signing-key-file={pki / 'ca.key'}"]  # fmt: skip
        return argv
    return [str(bins / "kwok"), f"--kubeconfig={h / 'kwok.kubeconfig'}", f"--config={STAGES}",
            "--manage-all-nodes=true", f"--cidr={POD_CIDR}", f"--server-address=127.0.0.1:{p.kwok}"]  # fmt: skip


def _probe(name: str):
    """One readiness probe per component (raises with the reason while not ready)."""
    import requests
    import urllib3

    p, pki = config.control_plane_ports(), home() / "pki"
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)  # the components' self-signed health ports
    url = {
        "etcd": f"http://127.0.0.1:{p.etcd}/health",
        "kube-apiserver": f"https://127.0.0.1:{p.api}/readyz",
        "kube-controller-manager": f"https://127.0.0.1:{p.controller_manager}/healthz",
        "kube-scheduler": f"https://127.0.0.1:{p.scheduler}/healthz",
        "kwok": f"http://127.0.0.1:{p.kwok}/healthz",
    }[name]

    def probe() -> bool:
        kw = {"cert": (str(pki / "admin.crt"), str(pki / "admin.key")), "verify": str(pki / "ca.crt")}
        answer = requests.get(url, timeout=3, **(kw if name == "kube-apiserver" else {"verify": False}))
        if not answer.ok:
            raise ConnectionError(f"{url} answered {answer.status_code}: {answer.text[-300:]}")
        return True

    return probe


def running() -> bool:
    """True when every component's process of this LAB_HOME runs (and the Strimzi status stand-in)."""
    return all(proc.running() for proc in _procs().values()) and _standin_proc().running()


def status() -> list[dict]:
    """One row per component: name, pid, ports, log file."""
    procs = [*_procs().items(), (STANDIN, _standin_proc())]
    return [{"name": name, "pid": proc.pid(), "ports": tuple(proc.ports), "log": proc.log_file} for name, proc in procs]


def start(nodes: int = 1, size: str = "learner", pvs: int = PV_COUNT, timeout: float = 180.0, progress=None) -> Path:
    """Start the control plane (a no-op for components already running), create `nodes` fake nodes of NODE_SIZES[size],
    a default StorageClass and `pvs` static PVs, and wait until it serves; returns the admin kubeconfig.

    A component that fails raises ServiceStartError naming it, why, and the tail of its log.
    """
    if size not in NODE_SIZES:
        raise LabError(f"unknown node size {size!r}: choose one of {', '.join(NODE_SIZES)}")
    bins, pki = bin_dir(), _pki()
    for user in ("admin", "controller-manager", "scheduler", "kwok"):
        _write_kubeconfig(user)
    (home() / "etcd").mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    for name, proc in _procs().items():
        if not proc.running():
            proc.spawn(_argv(name, bins, pki))
        wait_ready(name, timeout=timeout)
        if progress:
            progress(f"k8s: {name} ready after {time.monotonic() - t0:.1f}s")
    api = client()
    for i in range(nodes):
        add_node(f"lab-node-{i}", size, api=api)
    _storage(pvs, api)
    _wait_nodes_ready(api, timeout)
    # a namespace's pods need its default ServiceAccount, which kube-controller-manager creates
    until(
        lambda: api.core.read_namespaced_service_account("default", "default"),
        service="kube-controller-manager (the default ServiceAccount)",
        timeout=timeout,
        log_tail=_procs()["kube-controller-manager"].tail,
    )
    standin = _standin_proc()
    if not standin.running():
        standin.spawn([sys.executable, "-m", "lab.services.controlplane", "standin"], env={"PYTHONUNBUFFERED": "1"})
    until(
        lambda: "watching" in standin.tail(),
        service=f"k8s {STANDIN}",
        timeout=timeout,
        log_tail=standin.tail,
        alive=standin.exit_reason,
    )
    if progress:
        progress(f"k8s: control plane up in {time.monotonic() - t0:.1f}s; KUBECONFIG={kubeconfig()}")
    return kubeconfig()


def wait_ready(name: str | None = None, timeout: float = 180.0) -> None:
    """Wait until a component (default: each, in order) answers its health check; ServiceStartError with its log tail
    when it dies, ServiceNotReady when the bound runs out."""
    for comp in [name] if name else COMPONENTS:
        proc = _procs()[comp]
        if not proc.running() and not hasattr(proc, "_popen"):
            raise ServiceStartError(f"k8s {comp}", "not running: start the control plane first", proc.tail())
        until(_probe(comp), service=f"k8s {comp}", timeout=timeout, interval=0.2, log_tail=proc.tail,
              alive=proc.exit_reason)  # fmt: skip


def stop(wipe: bool = False, timeout: float = 30.0) -> list[str]:
    """Stop the components (reverse order, by pid file); `wipe` also deletes the state (etcd data, PKI). Returns the
    names of those stopped."""
    procs = [(STANDIN, _standin_proc()), *reversed(list(_procs().items()))]
    stopped = [name for name, proc in procs if proc.stop(timeout=timeout)]
    if wipe:
        shutil.rmtree(home() / "etcd", ignore_errors=True)
        for path in home().glob("*.kubeconfig"):
            path.unlink()
    return stopped


def use() -> Path:
    """Point lab.deploy.kube (this process and the ones it starts) at the control plane (env LAB_KUBECONFIG,
    LAB_KUBE_CONTEXT): `lab --target kind up` then applies to it instead of creating a kind cluster."""
    os.environ["LAB_KUBECONFIG"] = str(kubeconfig())
    os.environ["LAB_KUBE_CONTEXT"] = CONTEXT
    kube.use_client(None)
    return kubeconfig()


def client():
    """A lab.deploy.kubeclient.KubeClient on the control plane's admin kubeconfig."""
    return KubeClient(CONTEXT, kubeconfig=kubeconfig())


def add_node(
    name: str,
    size: str = "learner",
    labels: dict | None = None,
    taints: list | None = None,
    api=None,
    capacity: dict | None = None,
    allocatable: dict | None = None,
) -> dict:
    """Create (or resize) a fake node of NODE_SIZES[size] (or of `capacity`, of which `allocatable` is what pods may
    use; default all of it); kwok makes it Ready. Returns the Node."""
    from kubernetes.client.rest import ApiException

    api = api or client()
    res = capacity or NODE_SIZES[size]
    usable = allocatable or res
    body = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "type": "kwok",
                "lab.kappa/size": size,
                **(labels or {}),
            },
        },
        "spec": {"taints": taints or []},
        "status": {"capacity": res, "allocatable": usable},
    }
    try:
        api.core.create_node(body)  # a Node's status may be set on create (what a kubelet registers)
    except ApiException as exc:
        if exc.status != 409:
            raise
    # allocatable is what the scheduler reads: set it on the status subresource (also resizes an existing node)
    return api.core.patch_node_status(name, {"status": {"capacity": res, "allocatable": usable}}).to_dict()


def kind_system_pods(node: str, api=None) -> list[str]:
    """Pods with the CPU/memory requests of kind's own pods (KIND_SYSTEM_PODS), bound to `node` in kube-system:
    the share of a kind node the lab cannot use. Returns their names."""
    from kubernetes.client.rest import ApiException

    api = api or client()
    names = []
    for comp, (cpu, mem) in KIND_SYSTEM_PODS.items():
        name = f"kind-{comp}-{node}"
        requests_ = {"cpu": cpu, **({"memory": mem} if mem != "0" else {})}
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "labels": {"lab.kappa/kind-system": comp}},
            "spec": {
                "nodeName": node,
                "containers": [{"name": comp, "image": "kind-system", "resources": {"requests": requests_}}],
                "tolerations": [{"operator": "Exists"}],
            },
        }
        try:
            api.core.create_namespaced_pod("kube-system", pod)
        except ApiException as exc:
            if exc.status != 409:
                raise
        names.append(name)
    return names


def _storage(pvs: int, api) -> None:
    """A default StorageClass 'standard' (kind's name) and `pvs` static PVs: there is no volume provisioner."""
    sc = {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": "standard", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": "kubernetes.io/no-provisioner",
        "volumeBindingMode": "WaitForFirstConsumer",
    }
    api.apply(sc, namespace="default", field_manager="lab-control-plane")
    for i in range(pvs):
        pv = {
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {"name": f"lab-pv-{i}", "labels": {"lab.kappa/pv": "static"}},
            "spec": {
                "capacity": {"storage": "20Gi"},
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": "standard",
                "persistentVolumeReclaimPolicy": "Retain",
                "hostPath": {"path": f"/nonexistent/lab-pv-{i}"},
            },
        }
        api.apply(pv, namespace="default", field_manager="lab-control-plane")


def _wait_nodes_ready(api, timeout: float) -> None:
    def ready() -> bool:
        nodes = api.core.list_node().items
        not_ready = [
            n.metadata.name
            for n in nodes
            if not any(c.type == "Ready" and c.status == "True" for c in n.status.conditions or [])
        ]
        if not nodes or not_ready:
            raise ConnectionError(f"nodes not Ready yet: {not_ready or 'none exist'}")
        return True

    until(ready, service="k8s kwok (fake nodes Ready)", timeout=timeout, log_tail=_procs()["kwok"].tail)


# --- the one stand-in: the status Strimzi's operator would write ------------------------------------------------------

STANDIN = "strimzi-status-standin"
STANDIN_KINDS = ("Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser", "KafkaConnect", "KafkaConnector")
STANDIN_REASON = "StatusStandIn"
STANDIN_MESSAGE = (
    "status written by the lab's stand-in for Strimzi's operator (lab.services.controlplane): no broker runs here"
)


def _standin_proc() -> LocalProcess:
    key = (str(config.lab_home()), config.control_plane_ports().api, STANDIN)
    if key not in _PROCS:
        _PROCS[key] = {STANDIN: LocalProcess(f"k8s-{STANDIN}")}
    return _PROCS[key][STANDIN]


def standin_status(obj: dict) -> dict:
    """The status Strimzi's operator would write once `obj` (a Strimzi custom resource) is reconciled: Ready, with
    the fields the lab reads (Kafka's listeners, a pool's node ids, a topic's name, a user's Secret).

    >>> standin_status({"kind": "KafkaTopic", "metadata": {"name": "t", "generation": 2}, "spec": {}})["topicName"]
    't'
    """
    meta, spec, kind_ = obj["metadata"], obj.get("spec") or {}, obj["kind"]
    status = {
        "observedGeneration": meta.get("generation", 1),
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "reason": STANDIN_REASON,
                "message": STANDIN_MESSAGE,
                "lastTransitionTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
        ],
    }
    if kind_ == "Kafka":
        ns, name = meta.get("namespace"), meta["name"]
        status["kafkaVersion"] = (spec.get("kafka") or {}).get("version")
        status["clusterId"] = "stand-in"
        status["listeners"] = [
            {"name": x["name"], "bootstrapServers": f"{name}-kafka-bootstrap.{ns}.svc:{x['port']}"}
            for x in (spec.get("kafka") or {}).get("listeners", [])
        ]
    elif kind_ == "KafkaNodePool":
        status["replicas"] = spec.get("replicas", 0)
        status["nodeIds"] = list(range(spec.get("replicas", 0)))
        status["roles"] = spec.get("roles", [])
    elif kind_ == "KafkaTopic":
        status["topicName"] = spec.get("topicName") or meta["name"]
    elif kind_ == "KafkaUser":
        status["username"] = status["secret"] = meta["name"]
    return status


def standin_pass(api) -> list[str]:
    """One pass: every Strimzi resource not yet reconciled (observedGeneration behind) in a namespace whose
    strimzi-cluster-operator Deployment is Available gets standin_status(). Returns 'Kind/ns/name' of each set."""
    from kubernetes.dynamic.exceptions import ResourceNotFoundError

    operators = {
        d["metadata"]["namespace"]
        for d in api.list_all("apps/v1", "Deployment")
        if d["metadata"]["name"] == "strimzi-cluster-operator" and (d.get("status") or {}).get("availableReplicas")
    }
    done = []
    for kind_ in STANDIN_KINDS:
        try:
            objs = api.list_all(config.STRIMZI_API, kind_)
        except (LabError, ResourceNotFoundError):
            continue  # the CRD is not installed (yet)
        for obj in objs:
            meta = obj["metadata"]
            seen = (obj.get("status") or {}).get("observedGeneration")
            if meta["namespace"] in operators and seen != meta.get("generation") and not meta.get("deletionTimestamp"):
                api.patch_status(config.STRIMZI_API, kind_, meta["name"], meta["namespace"], standin_status(obj))
                done.append(f"{kind_}/{meta['namespace']}/{meta['name']}")
    return done


def _standin_loop() -> None:
    api = client()
    print(f"{STANDIN}: watching {', '.join(STANDIN_KINDS)} (status only; Strimzi's operator does not run)", flush=True)
    while True:
        try:
            for ref in standin_pass(api):
                print(f"{STANDIN}: {ref} Ready", flush=True)
        except Exception as exc:  # noqa: BLE001 - keep standing in; the log says what failed
            print(f"{STANDIN}: pass failed: {type(exc).__name__}: {exc}", flush=True)
            api = client()
        time.sleep(1.0)


if __name__ == "__main__":  # python -m lab.services.controlplane start|stop|status
    action = sys.argv[1] if len(sys.argv) > 1 else "status"
    if action == "standin":
        _standin_loop()
    elif action == "start":
        start(progress=print)
    elif action == "stop":
        print("stopped: " + (", ".join(stop(wipe="--wipe" in sys.argv)) or "nothing"))
    else:
        for row in status():
            print(f"{row['name']:26} {row['pid'] or '-':>8}  {row['ports']}  {row['log']}")
