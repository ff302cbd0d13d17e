"""S3Proxy 4.1 as a local S3-compatible object store (filesystem backend, access keys required): the raw archive's
storage. On demand only (`lab up archive`), not part of the default stack."""

from __future__ import annotations

import secrets
from pathlib import Path

from lab import config
from lab.services import artifacts, target
from lab.services.process import LocalProcess
from lab.services.service import Service
from lab.wait import port_open

NAME = "s3proxy"
REGION = "us-east-1"  # any region works with S3Proxy; the clients must agree on one for SigV4


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


class S3Proxy(Service):
    """The archive's object store (local only)."""

    name = NAME
    start_timeout, poll_interval, stop_timeout = 60.0, 0.5, 20.0
    local_only = "the archive runs on the local target only; on kind add the optional component k8s/components/archive"
    launch, probe = staticmethod(_launch), staticmethod(_probe)

    def ports(self) -> tuple[int, ...]:
        p = config.ports()
        return (p.s3proxy,)


SERVICE = S3Proxy()
process, start, stop = SERVICE.process, SERVICE.start, SERVICE.stop
ready, wait_ready = SERVICE.ready, SERVICE.wait_ready
