"""Apicurio Registry 3.3.3 (Confluent-compatible API) as a local process storing its schemas in Kafka (KafkaSQL)."""

from __future__ import annotations

from pathlib import Path

from lab import config
from lab.errors import ArtifactError, ToolMissing
from lab.services import artifacts, kafka, target
from lab.services.service import Service

NAME = "schema_registry"
JOURNAL_TOPIC = "kafkasql-journal"  # Apicurio's defaults, named here so tests and docs can refer to them
SNAPSHOTS_TOPIC = "kafkasql-snapshots"


def registry_url() -> str:
    """The Confluent-compatible API root, what SchemaRegistryClient({'url': …}) takes."""
    return target.current().address(NAME)


def management_url() -> str:
    """Quarkus management interface (local target): /health/ready and /metrics live here."""
    return f"http://127.0.0.1:{config.ports().registry_management}"


def ready_url() -> str | None:
    """The registry's /health/ready where this process can reach it (local; kind from inside the cluster), else None.

    It answers 503 until the registry has read back its KafkaSQL journal; before that the API already answers,
    and says 404 for ids it has (seen here: 3 s after a restart, an id registered last was 404, id 1 was not).
    """
    return target.current().registry_ready_url()


def quarkus_run_jar() -> Path:
    """The registry's launcher jar, found by glob because the archive layout changed across 3.x."""
    folder = artifacts.resolve("apicurio")
    hits = sorted(folder.glob("**/quarkus-run.jar"), key=lambda p: len(p.parts))
    if not hits:
        raise ArtifactError(f"no quarkus-run.jar under {folder}; run `lab setup --only apicurio` again")
    return hits[0]


def java_bin() -> str:
    """A `java` of major version >= 21 for Apicurio: LAB_REGISTRY_JAVA_HOME, else the newest JDK found.

    Searched: LAB_JAVA_HOME/JAVA_HOME, /usr/lib/jvm/* (Debian), /Library/Java/JavaVirtualMachines (macOS), PATH.
    """
    import shutil

    fix = (
        f"Apicurio {config.APICURIO_VERSION} needs Java {config.REGISTRY_JAVA_MIN}+ "
        "(Kafka, Cassandra and Spark keep Java 17). Install one (Debian/Ubuntu: "
        "`apt-get install openjdk-21-jdk-headless` where available, or Temurin 21/25 from "
        "adoptium.net; conda: `openjdk=21`) and set LAB_REGISTRY_JAVA_HOME to it."
    )
    home = config.registry_java_home()
    if home:
        candidates = [home / "bin" / "java"]
    else:
        found = [
            *Path("/usr/lib/jvm").glob("*/bin/java"),
            *Path("/Library/Java/JavaVirtualMachines").glob("*/Contents/Home/bin/java"),
        ]
        candidates = ([config.java_home() / "bin" / "java"] if config.java_home() else []) + sorted(found, reverse=True)
        candidates += [Path(p) for p in [shutil.which("java")] if p]
    seen = []
    for java in candidates:
        if not java.exists():
            continue
        major = artifacts.java_major(str(java))
        seen.append(f"{java} (Java {major})")
        if major >= config.REGISTRY_JAVA_MIN:
            return str(java)
    problem = f"no Java {config.REGISTRY_JAVA_MIN}+ for the schema registry; found: {', '.join(seen) or 'none'}"
    raise ToolMissing("java", problem, fix)


def _system_properties(home: Path) -> dict[str, str]:
    p = config.ports()
    return {
        "quarkus.http.host": "127.0.0.1",
        "quarkus.http.port": str(p.registry),
        "quarkus.management.host": "127.0.0.1",
        "quarkus.management.port": str(p.registry_management),
        "quarkus.http.access-log.enabled": "false",
        "quarkus.log.console.format": "%d{yyyy-MM-dd HH:mm:ss,SSS} %p [%c{2.}] (%t) %m%n",
        'quarkus.log.category."org.apache.kafka".level': "WARN",
        # The KafkaSQL bootstrap polls the snapshots and journal topics until a poll comes back empty;
        # the default 5 s poll makes every start ~10 s slower on a local broker.
        "apicurio.kafkasql.consumer.poll.timeout": "1000",
        # the in-memory H2 cache behind KafkaSQL: a lab needs a few connections, not the default pool of 20
        "apicurio.datasource.jdbc.initial-size": "2",
        "apicurio.datasource.jdbc.min-size": "2",
        "apicurio.datasource.jdbc.max-size": "10",
        "apicurio.storage.kind": "kafkasql",
        "apicurio.kafkasql.bootstrap.servers": kafka.bootstrap_servers(),
        "apicurio.kafkasql.topic": JOURNAL_TOPIC,
        "apicurio.kafkasql.snapshots.topic": SNAPSHOTS_TOPIC,
        "apicurio.storage.snapshot.location": str(home / "snapshots"),
        "apicurio.import.work-dir": str(home / "import"),
        "apicurio.rest.deletion.artifact.enabled": "true",
        "apicurio.rest.deletion.artifact-version.enabled": "true",
        "java.io.tmpdir": str(home / "tmp"),
    }


def _launch(proc) -> tuple[list[str], Path]:
    """The registry's command line (run from the folder of quarkus-run.jar)."""
    java = java_bin()
    jar = quarkus_run_jar()
    home = proc.home
    for sub in ("snapshots", "import", "tmp"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    props = [f"-D{k}={v}" for k, v in _system_properties(home).items()]
    return [
        java,
        "-Xms64m",  # a lab's registry holds a few schemas (~35 MB live): a smaller young generation, 10-14 MiB less RSS
        "-Xmx384m",
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
        "-Djava.util.logging.manager=org.jboss.logmanager.LogManager",
        *props,
        "-jar",
        str(jar),
    ], jar.parent


def _probe() -> bool:
    """Raises with the reason unless /health/ready answers UP (where this process reaches it) and the ccompat API
    lists subjects."""
    import requests

    url = ready_url()
    if url:
        health = requests.get(url, timeout=2)
        if not health.ok:
            raise RuntimeError(f"/health/ready answered {health.status_code}: {health.text[:200]}")
    requests.get(registry_url() + "/subjects", timeout=2).raise_for_status()
    return True


class SchemaRegistry(Service):
    """Apicurio Registry (KafkaSQL storage: Kafka must be up first); on kind, its Deployment."""

    name = NAME
    start_timeout, poll_interval, stop_timeout = 120.0, 0.5, 30.0
    launch, probe = staticmethod(_launch), staticmethod(_probe)

    def ports(self) -> tuple[int, ...]:
        p = config.ports()
        return (p.registry, p.registry_management)


SERVICE = SchemaRegistry()
process, start, stop = SERVICE.process, SERVICE.start, SERVICE.stop
ready, wait_ready = SERVICE.ready, SERVICE.wait_ready
