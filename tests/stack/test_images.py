"""Container contract of the lab's images (k8s/images/*/Dockerfile), run here without Docker, on the local stack.

Each image's command runs the way the kind workload would run it: the Dockerfile's ENTRYPOINT/CMD replaced by the
workload's command/args (Kubernetes' rules), the Dockerfile's ENV overlaid with the workload's env (Secrets from the
rendered overlay, `status.podIP` = this machine's non-loopback address), as the image's non-root user (uid 10001, via
setpriv, with the image's /etc/passwd entry bind-mounted in a private mount namespace), from a copy of what the image
holds that this user cannot write; only the image's own writable folders (the user's home, what its RUN lines chown)
and the workload's volumes are writable. It must become ready the way the kubelet and Prometheus see it: every probe
(and the metrics port) connects on the pod address, the log says the work started (Spark: its streaming query), and
the process keeps running MIN_READY_S after that (a Deployment's minReadySeconds). Not the same as running the image:
the base image's Python and Java are this machine's, the services are the local stack (LAB_PORT_OFFSET), reached
through the in-cluster address overrides (LAB_SERVICE_*) instead of the cluster's Service names, and the TLC files
come over HTTP from the shared samples. Needs root (setpriv, unshare), as CI has.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

from lab import config
from lab.deploy import kind

REPO = config.REPO_ROOT
UID = 10001
MIN_READY_S = 15.0
READY_TIMEOUT_S = 420.0  # a Spark driver on a busy 2-core machine
# image -> (workload kind, name, the log line saying it started its work; None: its probe ports say it)
WORKLOADS = {
    "spark": ("Deployment", "spark-stream", r"streaming \S+ → Cassandra"),
    "producer": ("Job", "producer", None),
}


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments dropped."""
    lines = [ln for ln in dockerfile.read_text().splitlines() if not ln.lstrip().startswith("#")]
    text = re.sub(r"\\\n", " ", "\n".join(lines))
    return [(m[0].upper(), m[1].strip()) for m in re.findall(r"^\s*([A-Za-z]+)\s+(.*)$", text, flags=re.MULTILINE)]


class Image:
    """What a Dockerfile says about running its image: env, user, workdir, entrypoint, cmd, copies, writable folders."""

    def __init__(self, dockerfile: Path):
        self.env: dict[str, str] = {}
        self.user = self.workdir = None
        self.entrypoint: list[str] = []
        self.cmd: list[str] = []
        self.copies: list[tuple[str, str]] = []
        self.writable: list[str] = ["/tmp"]
        self.made: list[str] = []  # folders its RUN lines create
        self.home = "/"
        for op, args in instructions(dockerfile):
            if op == "ENV":
                self.env.update(dict(re.findall(r"(\w+)=(\S+)", args)))
            elif op == "USER":
                self.user = args
            elif op == "WORKDIR":
                self.workdir = args
            elif op in ("ENTRYPOINT", "CMD"):
                setattr(self, op.lower(), json.loads(args))
            elif op == "COPY":
                *srcs, dest = args.split()
                base = dest if dest.startswith("/") else f"{self.workdir}/{dest}"
                self.copies += [
                    (
                        s,
                        base
                        if len(srcs) == 1 and not dest.endswith("/") and s != "."
                        else f"{base.rstrip('/')}/{Path(s).name}",
                    )
                    for s in srcs
                ]
            elif op == "RUN":
                home = re.search(r"--home-dir (\S+)", args)
                if home:
                    self.home = home[1]
                    self.writable.append(home[1])
                for owned in re.findall(r"chown (?:-R )?\S+ ([^&;]+)", args):
                    self.writable += owned.split()
                for made in re.findall(r"mkdir (?:-p )?([^&;]+)", args):
                    self.made += made.split()


def workload(name: str) -> tuple[dict, dict]:
    """(the workload object, its first container) from the rendered kind overlay."""
    kind_, obj_name, _ = WORKLOADS[name]
    (obj,) = [d for d in kind.render("kind") if d["kind"] == kind_ and d["metadata"]["name"] == obj_name]
    return obj, obj["spec"]["template"]["spec"]["containers"][0]


def pod_ip() -> str:
    """This machine's non-loopback IPv4 address: what a probe connects to in a pod."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("203.0.113.1", 9))  # TEST-NET-3; a UDP connect sends nothing: it only picks the interface
        ip = s.getsockname()[0]
    assert not ip.startswith("127."), "no non-loopback address on this machine"
    return ip


def resolve_env(container: dict, ip: str) -> dict[str, str]:
    rendered = kind.render("kind")
    secrets = {d["metadata"]["name"]: d for d in rendered if d["kind"] == "Secret"}
    config_maps = {d["metadata"]["name"]: d for d in rendered if d["kind"] == "ConfigMap"}
    out = {}
    for e in container.get("env", []):
        if "value" in e:
            out[e["name"]] = str(e["value"])
            continue
        src = e["valueFrom"]
        if "secretKeyRef" in src:
            import base64

            ref = secrets[src["secretKeyRef"]["name"]]
            out[e["name"]] = base64.b64decode(ref["data"][src["secretKeyRef"]["key"]]).decode()
        elif src.get("fieldRef", {}).get("fieldPath") == "status.podIP":
            out[e["name"]] = ip
        elif "configMapKeyRef" in src:  # as the kubelet does: an optional key of a ConfigMap not there sets nothing
            ref = src["configMapKeyRef"]
            data = config_maps.get(ref["name"], {}).get("data", {})
            if ref["key"] in data:
                out[e["name"]] = str(data[ref["key"]])
            elif not ref.get("optional"):
                raise AssertionError(f"env {e['name']}: ConfigMap {ref['name']} has no key {ref['key']}")
        else:
            raise AssertionError(f"env {e['name']}: unsupported valueFrom {src}")
    return out


class Pod:
    """The image's command as uid 10001 in a fake root (the image's files read-only, its writable folders writable)."""

    def __init__(self, name: str, tmp: Path):
        assert os.geteuid() == 0, (
            "the contract runs the image's command as uid 10001 in a mount namespace of its own "
            "(setpriv, unshare): run the tests as root, as CI does"
        )
        self.image = Image(kind.IMAGES[{"spark": config.SPARK_IMAGE, "producer": config.PRODUCER_IMAGE}[name]])
        self.obj, self.container = workload(name)
        self.started = WORKLOADS[name][2]
        self.root = tmp / "root"
        self.ip = pod_ip()
        image = self.image
        assert image.user == str(UID), f"the image runs as {image.user!r}, not the non-root uid {UID}"
        for src, dest in image.copies:  # what the image holds, owned by root
            target = self.mapped(dest)
            target.parent.mkdir(parents=True, exist_ok=True)
            if src.startswith(".lab/"):  # the big jar folders: read-only anyway, a link will do
                target.symlink_to(REPO / src)
            elif (REPO / src).is_dir():
                shutil.copytree(REPO / src, target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(REPO / src, target)
        for path in image.made:
            self.mapped(path).mkdir(parents=True, exist_ok=True)
        mounts = [m["mountPath"] for m in self.container.get("volumeMounts", [])]
        for path in [*image.writable, *mounts]:
            folder = self.mapped(path)
            folder.mkdir(parents=True, exist_ok=True)
            if path != "/tmp":
                for sub in [folder, *folder.rglob("*")]:  # chown -R (the image's RUN; a volume is the user's)
                    os.chown(sub, UID, UID)
        for p in [tmp, *self.root.rglob("*")]:
            if p.is_dir() and not p.is_symlink() and p.stat().st_uid == 0:
                p.chmod(0o755)
        tmp.chmod(0o755)
        # the image's /etc/passwd has its user (useradd; Java and Hadoop's login look it up), this machine's has not:
        # the process sees a copy with that line, bind-mounted in a mount namespace of its own (nothing else changes)
        self.passwd = tmp / "passwd"
        entry = f"lab:x:{UID}:{UID}::{self.mapped(image.home)}:/bin/sh\n"
        self.passwd.write_text(Path("/etc/passwd").read_text() + entry)
        self.passwd.chmod(0o644)
        where = self.run_as(["python", "-c", "import lab; print(lab.__file__)"])
        assert where.startswith(str(self.root)), f"lab imports from {where}, not from the image's copy"

    def launcher(self, argv: list[str]) -> list[str]:
        """`argv` as the image's user, with the image's /etc/passwd entry (a private mount namespace)."""
        script = f'mount --bind "$0" /etc/passwd && exec setpriv --reuid={UID} --regid={UID} --clear-groups "$@"'
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, str(self.passwd), *argv]

    def run_as(self, argv: list[str]) -> str:
        """Run a short command as the image's user with the pod's env (no overrides); its stdout."""
        out = subprocess.run(
            self.launcher(argv),
            check=False,
            cwd=self.mapped(self.image.workdir),
            env=self.env({}),
            capture_output=True,
            text=True,
            timeout=60,
        )
        return out.stdout.strip() or out.stderr.strip()

    def mapped(self, path: str) -> Path:
        """An image path inside the fake root (/tmp stays the machine's /tmp, writable by everyone)."""
        return Path("/tmp") if path == "/tmp" else self.root / path.lstrip("/")

    def _map_value(self, value: str) -> str:
        """An absolute path into the fake root when the image has it or a folder above it (not / alone)."""
        if not value.startswith("/") or value == "/tmp" or value.startswith("/tmp/"):
            return value
        parts = Path(value).parts[1:]
        has = any((self.root.joinpath(*parts[:i])).exists() for i in range(1, len(parts) + 1))
        return str(self.mapped(value)) if has else value

    def argv(self) -> list[str]:
        """Kubernetes' rule: `command` replaces ENTRYPOINT (and drops CMD), `args` replaces CMD."""
        c = self.container
        if "command" in c:
            argv = c["command"] + c.get("args", [])
        else:
            argv = self.image.entrypoint + c.get("args", self.image.cmd)
        assert argv, "neither the image nor the workload says what to run"
        return [self._map_value(a) for a in argv]

    def env(self, overrides: dict[str, str]) -> dict[str, str]:
        env = {
            "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(self.mapped(self.image.home)),
            "KUBERNETES_SERVICE_HOST": "10.96.0.1",
            "KUBERNETES_SERVICE_PORT": "443",  # what every pod has
            # the image installs the package at its WORKDIR (pip install [-e] .): import it from the copy there
            "PYTHONPATH": str(self.mapped(self.image.workdir)),
        }
        env.update({k: self._map_value(v) for k, v in self.image.env.items()})
        env.update({k: self._map_value(v) for k, v in resolve_env(self.container, self.ip).items()})
        env.update(overrides)
        return env

    def ports(self) -> dict[str, int]:
        return {p["name"]: p["containerPort"] for p in self.container.get("ports", [])}

    def probe_ports(self) -> list[int]:
        """The ports the kubelet (readiness/liveness tcpSocket, httpGet) and Prometheus (`metrics`) connect to."""
        named, out = self.ports(), []
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            spec = self.container.get(probe) or {}
            for action in ("tcpSocket", "httpGet"):
                if action in spec:
                    port = spec[action]["port"]
                    out.append(named[port] if isinstance(port, str) else port)
        if "metrics" in named:
            out.append(named["metrics"])
        return sorted(set(out))


def connects(ip: str, port: int) -> bool:
    try:
        with socket.create_connection((ip, port), timeout=1):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def tlc_site():
    """The shared TLC samples over HTTP, like the TLC site a pod downloads from (file:// would be read in place)."""
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    folder = Path(urllib.parse.urlparse(os.environ["LAB_TLC_BASE_URL"]).path)
    handler = partial(SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def run_contract(pod: Pod, tmp: Path, offset: int, tlc_url: str) -> None:
    """Start the pod's process; fail (with its log tail) unless every probe port connects on the pod address (and the
    log says the work started) and the process stays up MIN_READY_S more; kill it in every case."""
    stack = config.ports()
    overrides = {
        "LAB_PORT_OFFSET": str(offset),  # the process's ports shift like the local stack's (no collisions here)
        "LAB_SERVICE_KAFKA": f"127.0.0.1:{stack.kafka}",
        "LAB_SERVICE_REGISTRY": f"127.0.0.1:{stack.registry}",
        "LAB_SERVICE_CASSANDRA": f"127.0.0.1:{stack.cassandra_cql}",
        "LAB_TLC_BASE_URL": tlc_url,  # in the cluster: the TLC site
    }
    log = tmp / "pod.log"
    argv = pod.argv()
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            pod.launcher(argv),
            cwd=pod.mapped(pod.image.workdir),
            env=pod.env(overrides),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    ports = [p + offset for p in pod.probe_ports()]
    assert ports, "the workload has no probe and no metrics port: nothing says when it is ready"
    try:
        deadline, ready_since = time.monotonic() + READY_TIMEOUT_S, None
        while True:
            code = proc.poll()
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-25:])
            assert code is None, f"`{' '.join(argv)}` exited with {code} (ready: {ready_since is not None}):\n{tail}"
            up = {p: connects(pod.ip, p) for p in ports}
            if all(up.values()) and (not pod.started or re.search(pod.started, log.read_text(errors="replace"))):
                ready_since = ready_since or time.monotonic()
                if time.monotonic() - ready_since >= MIN_READY_S:
                    print(f"ready; the log's tail:\n{tail}")
                    return
            else:
                assert ready_since is None, f"ready, then a probe failed ({up}) on {pod.ip}:\n{tail}"
                loopback = [p for p, ok in up.items() if not ok and connects("127.0.0.1", p)]
                assert not loopback, (
                    f"port(s) {loopback} listen on 127.0.0.1 only: the kubelet and Prometheus "
                    f"connect to the pod address ({pod.ip}) and are refused:\n{tail}"
                )
            assert time.monotonic() < deadline, (
                f"not ready after {READY_TIMEOUT_S:.0f}s: probes on {pod.ip} "
                f"{up} (refused = bound elsewhere, e.g. 127.0.0.1):\n{tail}"
            )
            time.sleep(1.0)
    finally:
        stop(proc)


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM the process group (the JVM and Python workers too), SIGKILL after 30 s."""
    for sig, wait in ((15, 30), (9, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(wait)
            break
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture
def pod_dir():
    """A folder uid 10001 can traverse (pytest's own tmp_path is under a 0700 folder of root)."""
    folder = Path(tempfile.mkdtemp(prefix="lab-pod-", dir="/tmp"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_the_images_run_as_their_non_root_user_in_a_read_only_copy(pod_dir):
    """Offline: each Dockerfile has a non-root USER, the workload names no other, and the fake root is read-only."""
    images = {p.parent.name for p in (REPO / "k8s" / "images").glob("*/Dockerfile")}
    # the archive's Connect image runs under Strimzi's KafkaConnect: Strimzi's entrypoint and user, not a workload of ours
    operator_run = {
        name
        for name in images
        if (REPO / "k8s" / "images" / name / "Dockerfile").read_text().count("FROM quay.io/strimzi/")
    }
    assert images - operator_run == set(WORKLOADS), "every image needs its workload (and so its contract) here"
    for name in operator_run:
        users = re.findall(r"^USER\s+(\S+)", (REPO / "k8s" / "images" / name / "Dockerfile").read_text(), re.M)
        assert users and users[-1] not in ("0", "root"), f"{name}: Strimzi's image must keep a non-root USER"
    for name in WORKLOADS:
        pod = Pod(name, pod_dir / name)
        assert pod.obj["spec"]["template"]["spec"].get("securityContext", {}).get("runAsUser", UID) == UID
        argv = pod.argv()
        assert argv and not argv[0].startswith("/")
        assert pod.run_as(["id", "-un"]) == "lab"
        assert "Permission denied" in pod.run_as(["touch", str(pod.mapped(pod.image.workdir) / "x")]), (
            "the image's files must not be writable by its user"
        )


@pytest.mark.spark
def test_spark_image_contract(stack, pod_dir, topic):
    """The Spark driver pod: writes only to its volume and home, and its UI answers where the readiness probe looks."""
    pod = Pod("spark", pod_dir)  # reads its own empty topic: nothing lands in the kappa tables the notebooks count
    pod.container = {**pod.container, "args": [*pod.container.get("args", pod.image.cmd), "--topic", topic]}
    with tlc_site() as url:
        run_contract(pod, pod_dir, config.port_offset() + 7, url)


@pytest.mark.stack
def test_producer_image_contract(stack, pod_dir, unique_name):
    """The producer Job's pod: downloads into its data folder and serves metrics where Prometheus scrapes the pod."""
    from lab.services import kafka

    pod = Pod("producer", pod_dir)  # its own topics (the pod creates them), not taxi-trips: the notebooks count that
    topic, dlq = unique_name, f"{unique_name}-dlq"
    pod.container = {
        **pod.container,
        "args": [*pod.container.get("args", pod.image.cmd), "--topic", topic, "--dlq", dlq],
    }
    try:
        with tlc_site() as url:
            run_contract(pod, pod_dir, config.port_offset() + 7, url)
    finally:
        existing = set(kafka.admin().list_topics(timeout=30).topics)
        for name in {topic, dlq} & existing:
            kafka.admin().delete_topics([name])[name].result(timeout=30)
