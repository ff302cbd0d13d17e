"""The kind cluster from the outside: prerequisites, create/delete, images, secrets and rendered manifests."""

from __future__ import annotations

import secrets
import shutil
import subprocess
from pathlib import Path

import yaml

from lab import config
from lab.errors import KindError, ManifestError, ToolMissing

K8S = config.REPO_ROOT / "k8s"
KIND_CONFIG = K8S / "kind-config.yaml"
GRAFANA_VALUES = K8S / "base" / "grafana" / "values.yaml"
IMAGES = {  # image -> Dockerfile; build context is the repository root
    config.PRODUCER_IMAGE: K8S / "images" / "producer" / "Dockerfile",
    config.SPARK_IMAGE: K8S / "images" / "spark" / "Dockerfile",
    config.CONNECT_IMAGE: K8S / "images" / "connect" / "Dockerfile",  # Strimzi's Kafka image + the Iceberg sink
}
DEFAULT_IMAGES = (config.PRODUCER_IMAGE, config.SPARK_IMAGE)  # what the default overlay (k8s/overlays/kind) deploys
BUILD_NAMES = {  # `lab kind build NAME…`: the service or component each image is for
    "producer": config.PRODUCER_IMAGE,
    "spark": config.SPARK_IMAGE,
    "connect": config.CONNECT_IMAGE,
    "archive": config.CONNECT_IMAGE,
}
_INSTALL = {
    "docker": "install Docker Desktop (macOS/Windows) or Docker Engine (Linux): https://docs.docker.com/get-docker/",
    "kind": f"install kind {config.KIND_VERSION}: https://kind.sigs.k8s.io/docs/user/quick-start/#installation",
    "kubectl": f"install kubectl >= {config.KUBECTL_MIN}: https://kubernetes.io/docs/tasks/tools/",
    "helm": f"install helm {config.HELM_VERSION} (only `helm template` is used): https://helm.sh/docs/intro/install/",
}


def overlay_dir(name: str = "kind") -> Path:
    """The folder of a kustomize overlay (k8s/overlays/<name>)."""
    return K8S / "overlays" / name


def require(tool: str) -> str:
    """The path of a command-line tool, or ToolMissing saying how to install it."""
    path = shutil.which(tool)
    if not path:
        raise ToolMissing(tool, "not found on PATH", _INSTALL.get(tool, "install it"))
    return path


def run(cmd: list[str], *, timeout: float = 600, what: str | None = None) -> str:
    """Run a tool and return its stdout; KindError with its stderr when it fails."""
    require(cmd[0])
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise KindError(f"{what or cmd[0]}: `{' '.join(cmd)}` did not finish within {timeout:.0f}s") from exc
    if out.returncode != 0:
        tail = "\n".join(out.stderr.strip().splitlines()[-15:])
        raise KindError(f"{what or cmd[0]} failed (exit {out.returncode}): `{' '.join(cmd)}`\n{tail}")
    return out.stdout


def _docker_info(field: str) -> str:
    try:
        return run(["docker", "info", "--format", "{{." + field + "}}"], timeout=30, what="docker info").strip()
    except KindError as exc:
        raise KindError(f"the Docker engine is not reachable; start Docker Desktop / dockerd first.\n{exc}") from exc


def docker_memory_gib() -> float:
    """Memory the Docker engine may use, in GiB; KindError when the engine does not answer."""
    return int(_docker_info("MemTotal") or 0) / 2**30


def docker_cpus() -> int:
    """CPUs the Docker engine may use (its VM's on macOS/Windows); KindError when the engine does not answer."""
    return int(_docker_info("NCPU") or 0)


def millicores(quantity: str | int | float | None) -> int:
    """A Kubernetes CPU quantity in millicores.

    >>> millicores("250m"), millicores("2"), millicores(0.5), millicores(None)
    (250, 2000, 500, 0)
    """
    if quantity is None:
        return 0
    text = str(quantity)
    return int(text[:-1]) if text.endswith("m") else round(float(text) * 1000)


def _pod_cpu(spec: dict) -> int:
    """A pod's CPU request as the scheduler counts it: its containers' sum, or its largest init container if more."""

    def req(c: dict) -> int:
        return millicores(((c.get("resources") or {}).get("requests") or {}).get("cpu"))

    return max(sum(req(c) for c in spec.get("containers", [])), *[req(c) for c in spec.get("initContainers", [])], 0)


def cpu_requests(docs: list[dict], running_apps: bool = True) -> dict[str, int]:
    """Millicores each pod-making object requests once everything runs: 'Kind/name' → m. Deployments and StatefulSets
    count their replicas (the idle apps with 1 when `running_apps`), Strimzi's Kafka its node pools' brokers and its
    entity operator, Grafana's chart its values; Jobs that run once at start (the schema Job) and CronJobs do not."""
    out = {}
    for doc in docs:
        kind_, name, spec = doc.get("kind"), doc["metadata"]["name"], doc.get("spec") or {}
        if kind_ in ("Deployment", "StatefulSet"):
            replicas = spec.get("replicas", 1) or (1 if running_apps and name in _IDLE_APPS else 0)
            out[f"{kind_}/{name}"] = replicas * _pod_cpu(spec["template"]["spec"])
        elif kind_ == "Job" and name in _IDLE_APPS and running_apps:
            out[f"{kind_}/{name}"] = _pod_cpu(spec["template"]["spec"])
        elif kind_ == "KafkaNodePool":
            out[f"{kind_}/{name}"] = spec.get("replicas", 1) * millicores(
                spec.get("resources", {}).get("requests", {}).get("cpu")
            )
        elif kind_ == "Kafka":
            operators = (spec.get("entityOperator") or {}).values()
            out[f"{kind_}/{name} (entity operator)"] = sum(
                millicores(((op or {}).get("resources") or {}).get("requests", {}).get("cpu")) for op in operators
            )
    return out


_IDLE_APPS = ("spark-stream", "producer")  # deployed idle (0 replicas, a suspended Job); started by lab.kube.start_app
# kind's own pods on its one node (kind v0.31.0: the control plane's static pods, coredns x2, kindnet) and their
# CPU/memory requests: the share of the Docker VM the lab's pods cannot have
KIND_SYSTEM_PODS = {
    "etcd": ("100m", "100Mi"),
    "kube-apiserver": ("250m", "0"),
    "kube-controller-manager": ("200m", "0"),
    "kube-scheduler": ("100m", "0"),
    "coredns-1": ("100m", "70Mi"),
    "coredns-2": ("100m", "70Mi"),
    "kindnet": ("100m", "50Mi"),
}


def cpu_needed(docs: list[dict] | None = None) -> int:
    """Millicores the kind node must have for the whole stack with Spark and the producer running: kind's own pods,
    Strimzi's operator, the rendered overlay, Grafana's chart values."""
    if docs is None:
        grafana = yaml.safe_load(GRAFANA_VALUES.read_text())
        docs = render("kind") + strimzi_manifests() + [
            {"kind": "Deployment", "metadata": {"name": "grafana"},
             "spec": {"replicas": 1, "template": {"spec": {"containers": [{"resources": grafana.get("resources")}]}}}}
        ]  # fmt: skip
    system = sum(millicores(cpu) for cpu, _ in KIND_SYSTEM_PODS.values())
    return system + sum(cpu_requests(docs).values())


def preflight(min_gib: float = config.KIND_MIN_MEMORY_GIB) -> None:
    """Check docker, kind, kubectl, helm, Docker's memory and CPUs before creating anything."""
    for tool in ("docker", "kind", "kubectl", "helm"):
        require(tool)
    have = docker_memory_gib()
    if have < min_gib * 0.95:  # Docker Desktop's "8 GB" reports a little less
        raise KindError(
            f"Docker may use {have:.1f} GiB, the kind stack needs >= {min_gib} GiB: raise the memory "
            f"limit in Docker Desktop (Settings > Resources) or free memory, then retry."
        )
    check_cpus(docker_cpus(), cpu_needed())


def check_cpus(cpus: int, needed_m: int) -> None:
    """KindError saying what to do when `cpus` cannot hold `needed_m` millicores of requests (pods would stay Pending:
    Insufficient cpu)."""
    if cpus * 1000 < needed_m:
        want = -(-needed_m // 1000)
        raise KindError(
            f"Docker may use {cpus} CPU(s), the kind stack requests {needed_m / 1000:.2f} CPU once Spark and the "
            f"producer run (kind's own pods included), so the scheduler would leave pods Pending (Insufficient cpu): "
            f"give Docker >= {want} CPUs (Docker Desktop: Settings > Resources; Colima: `colima start --cpu {want}`; "
            f"Rancher Desktop: Preferences > Virtual Machine), then retry."
        )


def cluster_exists(name: str = config.KIND_CLUSTER) -> bool:
    """True when `kind get clusters` lists the lab's cluster."""
    return name in run(["kind", "get", "clusters"], timeout=60).split()


def create_cluster(name: str = config.KIND_CLUSTER) -> bool:
    """Create the kind cluster from k8s/kind-config.yaml unless it exists; True when it created one."""
    if cluster_exists(name):
        return False
    run(
        [
            "kind",
            "create",
            "cluster",
            "--name",
            name,
            "--config",
            str(KIND_CONFIG),
            "--image",
            config.KIND_NODE_IMAGE,
            "--wait",
            "180s",
        ],
        timeout=900,
        what="kind create cluster",
    )
    return True


def delete_cluster(name: str = config.KIND_CLUSTER) -> bool:
    """Delete the kind cluster (all data with it); True when there was one."""
    if not cluster_exists(name):
        return False
    run(["kind", "delete", "cluster", "--name", name], timeout=300, what="kind delete cluster")
    return True


def image_present(image: str) -> bool:
    """True when the local Docker engine has `image` (built or pulled)."""
    require("docker")
    return subprocess.run(["docker", "image", "inspect", image], capture_output=True).returncode == 0


def images_to_build(names: list[str] | None = None) -> list[str]:
    """The images `lab kind build [NAME…]` builds: those named (BUILD_NAMES), else the default overlay's only
    (DEFAULT_IMAGES: the archive's Connect image needs `lab setup --only iceberg` first and is built when named)."""
    unknown = sorted(set(names or ()) - set(BUILD_NAMES))
    if unknown:
        raise KindError(f"no image of ours for {', '.join(unknown)}: choose from {', '.join(BUILD_NAMES)}")
    return list(dict.fromkeys(BUILD_NAMES[n] for n in names)) if names else list(DEFAULT_IMAGES)


def build_image(image: str) -> None:
    """docker build one of the lab's images (IMAGES) from the repository root."""
    run(
        ["docker", "build", "-t", image, "-f", str(IMAGES[image]), str(config.REPO_ROOT)],
        timeout=1800,
        what=f"docker build {image}",
    )


def load_image(image: str, name: str = config.KIND_CLUSTER) -> None:
    """Copy a local image into the kind node (`kind load docker-image`), so pods start without a registry."""
    if not image_present(image):
        raise KindError(
            f"image {image} is not in the local Docker engine: build it with "
            f"`docker build -t {image} -f {IMAGES[image].relative_to(config.REPO_ROOT)} .`"
        )
    run(["kind", "load", "docker-image", image, "--name", name], timeout=900, what=f"kind load {image}")


def secrets_dir(overlay: str = "kind") -> Path:
    """Where the generated Secret env files live (git-ignored; the overlay's secretGenerator reads them)."""
    return overlay_dir(overlay) / ".secrets"


def ensure_secrets(overlay: str = "kind") -> dict[str, Path]:
    """Write the Secrets' env files with fresh random passwords, once; existing files are kept (stable passwords)."""
    wanted = {
        "grafana-admin": {"admin-user": "admin", "admin-password": None},
        "cassandra-auth": {"username": config.CASSANDRA_USER, "password": None, "admin-password": None},
        "archive-s3": {"access-key": None, "secret-key": None},  # components/archive: S3Proxy's keys
    }
    folder = secrets_dir(overlay)
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, keys in wanted.items():
        path = files[name] = folder / f"{name}.env"
        if not path.exists():
            lines = [f"{k}={v if v is not None else secrets.token_urlsafe(18)}" for k, v in keys.items()]
            path.write_text("\n".join(lines) + "\n")
            path.chmod(0o600)
    return files


def secret_values(name: str, overlay: str = "kind") -> dict[str, str]:
    """The key=value pairs of a generated Secret env file (e.g. 'cassandra-auth')."""
    path = ensure_secrets(overlay)[name]
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def render(overlay: str = "kind", path: Path | None = None) -> list[dict]:
    """`kubectl kustomize` an overlay (or any kustomization folder) into a list of objects; ManifestError if it fails."""
    ensure_secrets(overlay)
    folder = path or overlay_dir(overlay)
    try:
        text = run(["kubectl", "kustomize", str(folder)], timeout=120, what="kubectl kustomize")
    except KindError as exc:
        raise ManifestError(f"{folder} does not render: {exc}") from exc
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ~20x faster on the overlay's 35 objects
    return [d for d in yaml.load_all(text, Loader=loader) if d]


def strimzi_install_dir() -> Path:
    """Strimzi's install/cluster-operator files of the pinned release in the shared folder (the release asset is these
    files in order): used where they exist, so no download is needed (the build machines)."""
    return config.shared_dir() / "k8s-schemas" / f"strimzi-{config.STRIMZI_VERSION}" / "install"


def strimzi_manifests(namespace: str = config.NAMESPACE) -> list[dict]:
    """The pinned Strimzi install file, its namespace rewritten to `namespace`: the release asset (downloaded once into
    LAB_HOME), or the same objects from the shared install files (strimzi_install_dir()) when those exist."""
    import requests

    cache = config.lab_home() / "kind" / Path(config.STRIMZI_INSTALL_URL).name
    shared = sorted(strimzi_install_dir().glob("*.yaml"))
    if not cache.exists() and shared:
        docs = [d for path in shared for d in yaml.safe_load_all(path.read_text()) if d]
        return set_namespace(docs, namespace)
    if not cache.exists():
        resp = requests.get(config.STRIMZI_INSTALL_URL, timeout=120)
        if resp.status_code != 200:
            raise KindError(f"could not download {config.STRIMZI_INSTALL_URL}: HTTP {resp.status_code}")
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(resp.text)
    return set_namespace([d for d in yaml.safe_load_all(cache.read_text()) if d], namespace)


def set_namespace(docs: list[dict], namespace: str) -> list[dict]:
    """Point Strimzi's install file at `namespace` (what its docs do with sed on `namespace: myproject`)."""
    for doc in docs:
        meta = doc.get("metadata", {})
        if "namespace" in meta:
            meta["namespace"] = namespace
        for subject in doc.get("subjects", []) or []:
            if "namespace" in subject:
                subject["namespace"] = namespace
    return docs


def grafana_manifests(namespace: str = config.NAMESPACE) -> list[dict]:
    """The pinned Grafana chart rendered with k8s/base/grafana/values.yaml (`helm template`, needs network)."""
    text = run(
        [
            "helm",
            "template",
            "grafana",
            config.GRAFANA_CHART,
            "--repo",
            config.GRAFANA_CHART_REPO,
            "--version",
            config.GRAFANA_CHART_VERSION,
            "--namespace",
            namespace,
            "-f",
            str(GRAFANA_VALUES),
        ],
        timeout=300,
        what="helm template grafana",
    )
    return [d for d in yaml.safe_load_all(text) if d]
