"""A Kafka Connect worker (standalone, Kafka 4.3.1 like the broker) running the Iceberg sink that archives every raw
taxi-trips record byte for byte, with its topic, partition, offset and timestamp, into an Iceberg table on S3Proxy
(JDBC catalog on a SQLite file). On demand only (`lab up archive`), not part of the default stack.

The record bytes are kept as they are (ByteArrayConverter: the Confluent frame, magic byte + schema id + Avro body,
included), wrapped in a struct by HoistField and stamped by InsertField. The sink commits to Iceberg every
COMMIT_INTERVAL_MS and keeps its progress in the table's snapshots (exactly once across worker restarts).
"""

from __future__ import annotations

from pathlib import Path

from lab import config
from lab.errors import LabError
from lab.services import artifacts, kafka, s3proxy, target
from lab.services.process import LocalProcess
from lab.services.service import Service
from lab.wait import port_open

NAME = "connect"
COMMIT_INTERVAL_MS = 5000
CONNECTOR_CLASS = "org.apache.iceberg.connect.IcebergSinkConnector"


def data_dir() -> Path:
    """The worker's state: the Iceberg catalog (SQLite) and the standalone offsets file (deleted by --purge)."""
    return process().home / "data"


def catalog_uri() -> str:
    """The JDBC URI of the archive's Iceberg catalog (a SQLite file readers open too)."""
    return f"jdbc:sqlite:{data_dir() / 'catalog.db'}"


def warehouse() -> str:
    """Where the Iceberg table's data and metadata files go on the object store."""
    return f"s3://{config.ARCHIVE_BUCKET}/warehouse"


def rest_url() -> str:
    """The worker's REST API."""
    target.current().require_local(
        "the archive runs on the local target only; on kind it is the optional component k8s/components/archive"
    )
    return f"http://127.0.0.1:{config.ports().connect}"


def connector_config(topics_regex: str = config.ARCHIVE_TOPICS_REGEX) -> dict[str, str]:
    """The Iceberg sink connector's settings: raw bytes + topic/partition/offset/timestamp into ARCHIVE_TABLE, for
    every topic whose whole name matches `topics_regex` (also topics created after the worker started)."""
    key, secret = s3proxy.credentials()
    return {
        "name": config.ARCHIVE_CONNECTOR,
        "connector.class": CONNECTOR_CLASS,
        "tasks.max": "1",
        "topics.regex": topics_regex,
        "key.converter": "org.apache.kafka.connect.converters.ByteArrayConverter",
        "value.converter": "org.apache.kafka.connect.converters.ByteArrayConverter",
        "transforms": "hoist,meta",  # bytes → struct{value: bytes}, then add where the record came from
        "transforms.hoist.type": "org.apache.kafka.connect.transforms.HoistField$Value",
        "transforms.hoist.field": "value",
        "transforms.meta.type": "org.apache.kafka.connect.transforms.InsertField$Value",
        "transforms.meta.topic.field": "topic",
        "transforms.meta.partition.field": "partition",
        "transforms.meta.offset.field": "offset",
        "transforms.meta.timestamp.field": "ts",
        "iceberg.tables": config.ARCHIVE_TABLE,
        "iceberg.tables.auto-create-enabled": "true",
        "iceberg.tables.default-partition-by": "topic,hour(ts)",
        "iceberg.control.topic": config.ARCHIVE_CONTROL_TOPIC,
        "iceberg.control.commit.interval-ms": str(COMMIT_INTERVAL_MS),
        "iceberg.catalog.catalog-impl": "org.apache.iceberg.jdbc.JdbcCatalog",
        "iceberg.catalog.uri": catalog_uri(),
        "iceberg.catalog.jdbc.schema-version": "V1",
        "iceberg.catalog.warehouse": warehouse(),
        "iceberg.catalog.io-impl": "org.apache.iceberg.aws.s3.S3FileIO",
        "iceberg.catalog.s3.endpoint": s3proxy.endpoint(),
        "iceberg.catalog.s3.path-style-access": "true",
        "iceberg.catalog.s3.access-key-id": key,
        "iceberg.catalog.s3.secret-access-key": secret,
        "iceberg.catalog.client.region": s3proxy.REGION,
    }


def write_config() -> tuple[Path, Path]:
    """Render the worker and connector properties, link the plugin folder; returns their paths."""
    home = process().home
    data_dir().mkdir(parents=True, exist_ok=True)
    plugins = home / "plugins"
    plugins.mkdir(exist_ok=True)
    link = plugins / "iceberg"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(artifacts.resolve("iceberg"), target_is_directory=True)
    worker = home / "worker.properties"
    worker.write_text(
        "\n".join(
            [
                f"bootstrap.servers={kafka.bootstrap_servers()}",
                "key.converter=org.apache.kafka.connect.converters.ByteArrayConverter",
                "value.converter=org.apache.kafka.connect.converters.ByteArrayConverter",
                f"offset.storage.file.filename={data_dir() / 'connect.offsets'}",
                "offset.flush.interval.ms=10000",
                # topics.regex: a topic created after the worker started is found at the consumer's next metadata
                # refresh (default every 5 min); every 10 s archives a new week's topic from its first records
                "consumer.metadata.max.age.ms=10000",
                f"plugin.path={plugins}",
                "plugin.discovery=only_scan",
                f"listeners=http://127.0.0.1:{config.ports().connect}",
            ]
        )
        + "\n"
    )
    connector = home / "connector.properties"
    connector.write_text("".join(f"{k}={v}\n" for k, v in connector_config().items()))
    connector.chmod(0o600)
    (home / "log4j2.xml").write_text((config.RESOURCES / "kafka" / "log4j2.xml").read_text())
    return worker, connector


def ensure_control_topic() -> None:
    """The sink's control topic (the broker does not auto-create topics)."""
    from confluent_kafka.admin import NewTopic

    admin = kafka.admin()
    if config.ARCHIVE_CONTROL_TOPIC not in admin.list_topics(timeout=10).topics:
        futures = admin.create_topics([NewTopic(config.ARCHIVE_CONTROL_TOPIC, 1, 1)])
        try:
            futures[config.ARCHIVE_CONTROL_TOPIC].result(timeout=30)
        except Exception as exc:  # noqa: BLE001 - a concurrent create is fine; anything else is reported
            if "TOPIC_ALREADY_EXISTS" not in str(exc):
                raise LabError(
                    f"connect: cannot create the control topic {config.ARCHIVE_CONTROL_TOPIC}: {exc}"
                ) from exc


def _launch(proc: LocalProcess) -> tuple[list[str], None]:
    ensure_control_topic()
    worker, connector = write_config()
    home = proc.home
    return [
        artifacts.java_bin(),
        "-Xms128m",
        "-Xmx512m",
        "-XX:+UseG1GC",
        "-XX:TieredStopAtLevel=1",
        "-Djava.awt.headless=true",
        f"-Dkafka.logs.dir={home}",
        f"-Dlog4j2.configurationFile={home / 'log4j2.xml'}",
        "-cp",
        artifacts.classpath(NAME),
        "org.apache.kafka.connect.cli.ConnectStandalone",
        str(worker),
        str(connector),
    ], None


def status() -> dict:
    """The connector's status from the REST API ({'connector': {'state': …}, 'tasks': [{'state': …, 'trace': …}]})."""
    import requests

    answer = requests.get(f"{rest_url()}/connectors/{config.ARCHIVE_CONNECTOR}/status", timeout=5)
    answer.raise_for_status()
    return answer.json()


def _probe() -> bool:
    """Raises unless the REST port answers and the connector and its task are RUNNING (a FAILED task: its trace)."""
    if not port_open("127.0.0.1", config.ports().connect):
        raise ConnectionError(f"REST port {config.ports().connect} not open yet")
    state = status()
    tasks = state.get("tasks", [])
    failed = [t for t in tasks if t.get("state") == "FAILED"]
    if failed:
        raise RuntimeError(f"task FAILED: {(failed[0].get('trace') or '').splitlines()[:3]}")
    if state["connector"]["state"] != "RUNNING" or not tasks or any(t["state"] != "RUNNING" for t in tasks):
        raise ConnectionError(f"connector {state['connector']['state']}, tasks {[t['state'] for t in tasks]}")
    return True


class Connect(Service):
    """The Kafka Connect worker with the archive connector (local only)."""

    name = NAME
    start_timeout, poll_interval, stop_timeout = 180.0, 1.0, 60.0
    local_only = "the archive runs on the local target only; on kind add the optional component k8s/components/archive"
    launch, probe = staticmethod(_launch), staticmethod(_probe)

    def ports(self) -> tuple[int, ...]:
        p = config.ports()
        return (p.connect,)


SERVICE = Connect()
process, start, stop = SERVICE.process, SERVICE.start, SERVICE.stop
ready, wait_ready = SERVICE.ready, SERVICE.wait_ready
