"""S3Proxy 4.1 as a local S3-compatible object store (filesystem backend, access keys required): the raw archive's
storage. On demand only (`lab up archive`), not part of the default stack."""

from __future__ import annotations

import secrets
from pathlib import Path

from lab import config
from lab.services import artifacts, lifecycle, target
from lab.services.process import LocalProcess
from lab.wait import port_open

NAME = "s3proxy"
REGION = "us-east-1"  # any region works with S3Proxy; the clients must agree on one for SigV4
_procs: dict[tuple, LocalProcess] = {}


def process() -> LocalProcess:
    """The local S3Proxy process handle (one per LAB_HOME and port offset)."""
    p = config.ports()
    key = (str(config.lab_home()), p.s3proxy)
    if key not in _procs:
        _procs[key] = LocalProcess(NAME, (p.s3proxy,))
    return _procs[key]


def data_dir() -> Path:
    """The store's files: one folder per bucket (deleted by `lab down --purge`)."""
    return process().home / "data"


def endpoint() -> str:
    """The S3 endpoint URL (path-style addressing: http://127.0.0.1:PORT/BUCKET/KEY)."""
    target.current().require_local(
        "the archive's object store runs on the local target only; on kind it is the optional component k8s/components/archive"
    )
    return f"http://127.0.0.1:{config.ports().s3proxy}"


def credentials() -> tuple[str, str]:
    """(access key id, secret access key): generated once per LAB_HOME and kept in run/s3proxy/credentials."""
    path = process().home / "credentials"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"lab{secrets.token_hex(6)}\n{secrets.token_urlsafe(24)}\n")
        path.chmod(0o600)
    key, secret = path.read_text().split()
    return key, secret


def write_config() -> Path:
    """Render s3proxy.properties and create the archive bucket's folder; returns the properties path."""
    home = process().home
    # owner-only: the filesystem backend reads a folder that others may read as a public-read bucket (anonymous
    # GETs answered 200), so the bucket would not require the keys
    bucket = data_dir() / config.ARCHIVE_BUCKET
    bucket.mkdir(parents=True, exist_ok=True)
    for folder in (home, data_dir(), bucket):
        folder.chmod(0o700)
    key, secret = credentials()
    props = home / "s3proxy.properties"
    props.write_text(
        "\n".join(
            [
                f"s3proxy.endpoint=http://127.0.0.1:{config.ports().s3proxy}",
                "s3proxy.authorization=aws-v2-or-v4",
                f"s3proxy.identity={key}",
                f"s3proxy.credential={secret}",
                "jclouds.provider=filesystem",
                f"jclouds.filesystem.basedir={data_dir()}",
            ]
        )
        + "\n"
    )
    props.chmod(0o600)
    return props


def _launch(proc: LocalProcess) -> tuple[list[str], None]:
    props = write_config()
    return [
        artifacts.java_bin(),
        "-Xmx256m",
        "-XX:TieredStopAtLevel=1",
        "-XX:+UseSerialGC",
        "-jar",
        str(artifacts.jar(NAME, "s3proxy-")),
        "--properties",
        str(props),
    ], None


def _probe() -> bool:
    """Raises unless the port answers and an unsigned request is refused as S3 refuses it (AccessDenied)."""
    import requests

    if not port_open("127.0.0.1", config.ports().s3proxy):
        raise ConnectionError(f"port {config.ports().s3proxy} not open yet")
    answer = requests.get(f"{endpoint()}/{config.ARCHIVE_BUCKET}", timeout=3)
    if answer.status_code != 403 or "AccessDenied" not in answer.text:
        raise ConnectionError(f"unexpected answer {answer.status_code}: {answer.text[:200]}")
    return True


def start(timeout: float = 60.0) -> int | None:
    """Start S3Proxy and wait until it answers S3 requests; returns the pid (a no-op when ours runs)."""
    target.current().require_local(
        "the archive runs on the local target only; on kind add the optional component k8s/components/archive"
    )
    return lifecycle.start(NAME, process(), _launch, _probe, timeout, 0.5)


def ready() -> bool:
    """One quick probe."""
    return lifecycle.ready(_probe)


def wait_ready(timeout: float = 60.0) -> None:
    """Poll with a bound; ServiceStartError if the process dies, ServiceNotReady on timeout."""
    lifecycle.wait_ready(NAME, process(), _probe, timeout, 0.5)


def stop() -> bool:
    """Stop our S3Proxy; True when a process was stopped."""
    return lifecycle.stop(NAME, process(), 20)
