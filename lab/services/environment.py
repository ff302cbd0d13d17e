"""Week 0: what this machine has (tools, versions, memory) against what the lab needs."""

from __future__ import annotations

import platform
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass

from lab import config
from lab.services.target import current


@dataclass
class Tool:
    """One program the lab uses, what was found, and whether it is needed on the current target."""

    name: str
    needed_for: str
    found: str
    ok: bool
    fix: str = ""


_TOOLS = {
    # name: (argv for the version, regex, needed for, fix)
    "java": (
        ["java", "-version"],
        r'version "([^"]+)"',
        "local",
        "install a JDK 17 (apt-get install openjdk-17-jdk-headless)",
    ),
    "mvn": (["mvn", "-v"], r"Apache Maven (\S+)", "local", "install Maven 3.8+ (apt-get install maven)"),
    "prometheus": (["prometheus", "--version"], r"version (\S+)", "local", "apt-get install prometheus"),
    "docker": (
        ["docker", "version", "--format", "{{.Server.Version}}"],
        r"(\d+\.\d+\.\d+)",
        "kind",
        "install Docker Engine/Desktop",
    ),
    "kind": (["kind", "version"], r"v(\d+\.\d+\.\d+)", "kind", "install kind (https://kind.sigs.k8s.io)"),
    "kubectl": (
        ["kubectl", "version", "--client"],
        r"v(\d+\.\d+\.\d+)",
        "both",
        f"install kubectl >= {config.KUBECTL_MIN} (week 08 renders k8s/ with it on both targets): "
        "https://kubernetes.io/docs/tasks/tools/ (Debian 12's kubernetes-client is too old)",
    ),
}


def _version(argv: list[str], pattern: str) -> str | None:
    exe = shutil.which(argv[0])
    if argv[0] == "java" and config.java_home():
        exe = str(config.java_home() / "bin" / "java")
    if not exe:
        return None
    try:
        proc = subprocess.run([exe, *argv[1:]], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(pattern, proc.stdout + proc.stderr)
    return m.group(1) if m and proc.returncode == 0 else None


def tools(target: str | None = None) -> list[Tool]:
    """Every tool with the version found; `ok` is False only for a tool the target needs and lacks."""
    target = target or current().name
    out = [Tool("python", "both", platform.python_version(), sys.version_info[:2] == (3, 11), "use Python 3.11")]
    for name, (argv, pattern, needed_for, fix) in _TOOLS.items():
        found = _version(argv, pattern)
        ok = found is not None or needed_for not in (target, "both")
        if name == "kubectl" and found:
            ok = tuple(map(int, found.split(".")[:2])) >= tuple(map(int, config.KUBECTL_MIN.split(".")))
        if name == "java" and found:
            ok = found.split(".")[0] == str(config.JAVA_MAJOR) or needed_for != target
        out.append(Tool(name, needed_for, found or "not found", ok, "" if ok else fix))
    return out


def memory_gib() -> float:
    """Total memory of the machine in GiB (Linux and macOS alike)."""
    import psutil

    return psutil.virtual_memory().total / 2**30


def packages() -> dict[str, str]:
    """Versions of the core Python packages the notebooks use."""
    from importlib.metadata import PackageNotFoundError, version

    names = [
        "confluent-kafka",
        "fastavro",
        "pyspark",
        "cassandra-driver",
        "kubernetes",
        "papermill",
        "jupyterlab",
        "nbval",
    ]
    out = {}
    for n in names:
        try:
            out[n] = version(n)
        except PackageNotFoundError:
            out[n] = "not installed"
    return out


def versions() -> dict[str, str]:
    """The pinned service versions, from lab.config."""
    return {
        "Kafka (KRaft)": config.KAFKA_VERSION,
        "Apicurio Registry": config.APICURIO_VERSION,
        "Cassandra": config.CASSANDRA_VERSION,
        "Spark": config.SPARK_VERSION,
        "Spark Cassandra Connector": config.SCC_VERSION,
        "JMX exporter": config.JMX_EXPORTER_VERSION,
        "Strimzi (kind)": config.STRIMZI_VERSION,
    }
