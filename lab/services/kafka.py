"""Kafka 4.3.1 as one local KRaft broker+controller process (jars from Maven), or the kind cluster's Kafka."""

from __future__ import annotations

import base64
import subprocess
import uuid
from pathlib import Path

from lab import config
from lab.errors import ServiceStartError
from lab.services import artifacts, clientlog, target
from lab.services.service import Service
from lab.wait import port_open

NAME = "kafka"
RESOURCES = config.RESOURCES
_admins: dict[tuple, object] = {}


def data_dir() -> Path:
    """Where the broker keeps its log segments and KRaft metadata (deleted by `lab down --purge`)."""
    return process().home / "data"


def bootstrap_servers() -> str:
    """The `bootstrap.servers` value for clients of the selected target."""
    return target.current().address(NAME)


def admin(timeout_ms: int = 10000):
    """A confluent_kafka AdminClient for bootstrap_servers(), cached per process.

    Cached because a temporary client is destroyed while its futures are pending:
    `AdminClient(...).create_topics(...)[t].result()` fails with "_DESTROY: Broker handle destroyed".
    """
    from confluent_kafka.admin import AdminClient

    key = (bootstrap_servers(), timeout_ms)
    if key not in _admins:  # its librdkafka lines go to the lab's log file, handed over by poll()
        _admins[key] = AdminClient(
            {
                "bootstrap.servers": key[0],
                "socket.timeout.ms": timeout_ms,
                "logger": clientlog.client_logger("admin", {}, say_outage=False),
            }
        )
    _admins[key].poll(0)
    return _admins[key]


def _probe_topics() -> None:
    """List topics with a throwaway, quiet client (a probe of a broker that is still starting must not spam logs)."""
    from confluent_kafka.admin import AdminClient

    probe = AdminClient({"bootstrap.servers": bootstrap_servers(), "socket.timeout.ms": 3000, "log_level": 0})
    probe.list_topics(timeout=3)


def write_config() -> Path:
    """Render server.properties and log4j2.xml into the run folder; returns the server.properties path."""
    p = config.ports()
    return process().render(
        RESOURCES / "kafka" / "server.properties.tmpl",
        "server.properties",
        [RESOURCES / "kafka" / "log4j2.xml"],
        kafka_port=p.kafka,
        controller_port=p.kafka_controller,
        log_dirs=data_dir(),
    )


def _jvm_opts(home: Path) -> list[str]:
    # C1 only (TieredStopAtLevel=1): measured side by side on 2 busy cores, ready in 7-15 s instead of 19-23 s,
    # and 2-4x the produce rate over a 300k-message run (C2 spends those seconds compiling).
    return [
        # 256 MiB of heap is ample for one lab broker (the log lives in the page cache, not the heap): RSS ≈ 0.6 GiB
        # with 512 MiB, which counted against the 3 GiB budget of stack + streaming job (bench/streaming.py)
        "-Xms128m",
        "-Xmx256m",
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-XX:TieredStopAtLevel=1",
        "-Djava.awt.headless=true",
        f"-Dkafka.logs.dir={home}",
        f"-Dlog4j2.configurationFile={home / 'log4j2.xml'}",
    ]


def format_storage(properties: Path) -> bool:
    """Format the KRaft storage once (only when meta.properties is missing); True when it formatted."""
    if (data_dir() / "meta.properties").exists():
        return False
    home = process().home
    cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
    cmd = [
        artifacts.java_bin(),
        *_jvm_opts(home),
        "-cp",
        artifacts.classpath(NAME),
        "kafka.tools.StorageTool",
        "format",
        "--standalone",
        f"--cluster-id={cluster_id}",
        "--config",
        str(properties),
    ]  # "=": an id may start with "-"
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        tail = "\n".join((out.stdout + out.stderr).splitlines()[-20:])
        raise ServiceStartError(NAME, f"formatting KRaft storage in {data_dir()} failed (exit {out.returncode})", tail)
    return True


def _launch(proc) -> tuple[list[str], None]:
    """The broker's command line (KRaft storage formatted on the first start)."""
    java = artifacts.java_bin()
    properties = write_config()
    format_storage(properties)
    agent = artifacts.jar("agents", "jmx_prometheus_javaagent")
    rules = RESOURCES / "jmx" / "kafka.yaml"
    return [
        java,
        *_jvm_opts(proc.home),
        f"-javaagent:{agent}=127.0.0.1:{config.ports().kafka_jmx_exporter}:{rules}",
        "-cp",
        artifacts.classpath(NAME),
        "kafka.Kafka",
        str(properties),
    ], None


def _probe() -> bool:
    """Raises with the reason unless the client port answers and the AdminClient lists topics."""
    host, port = bootstrap_servers().rsplit(":", 1)
    if not port_open(host, int(port)):
        raise ConnectionError(f"{host}:{port} not open yet")
    _probe_topics()
    return True


class Kafka(Service):
    """One KRaft broker+controller process; on kind, the Strimzi cluster."""

    name = NAME
    start_timeout, poll_interval, stop_timeout = 90.0, 0.5, 60.0

    def ports(self) -> tuple[int, ...]:
        p = config.ports()
        return (p.kafka, p.kafka_controller, p.kafka_jmx_exporter)

    launch, probe = staticmethod(_launch), staticmethod(_probe)

    def before_stop(self) -> None:
        _admins.clear()  # a cached client would log connection failures for as long as the broker is gone


SERVICE = Kafka()
process, start, stop = SERVICE.process, SERVICE.start, SERVICE.stop
ready, wait_ready = SERVICE.ready, SERVICE.wait_ready
