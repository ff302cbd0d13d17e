"""Names, versions, ports and paths: the one place every other module and manifest reads them from."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from lab.errors import LabError

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
RESOURCES = PACKAGE_DIR / "resources"  # templates, Avro schemas, JMX rules, the Spark driver script
CQL_DIR = PACKAGE_DIR / "cql"  # the versioned data model
STREAM_DRIVER = RESOURCES / "spark" / "driver.py"  # what spark-submit runs: `lab stream`

# --- versions (pinned; nothing floats on "latest") -------------------------------------------
KAFKA_VERSION = "4.3.1"  # Strimzi 1.2.0's default Kafka: same broker in both targets
SCALA_KAFKA = "2.13"
CASSANDRA_VERSION = "5.0.8"
APICURIO_VERSION = "3.3.3"
SPARK_VERSION = (
    "3.5.7"  # newest 3.5.x with spark-sql-kafka on Central; must equal the pyspark wheel pinned in pyproject.toml
)
SCALA_SPARK = "2.12"
SCC_VERSION = "3.5.1"  # spark-cassandra-connector
JMX_EXPORTER_VERSION = "1.0.1"  # newest on Maven Central (1.1+ ship on GitHub only)
LOG4J_VERSION = "2.25.4"
# the raw archive (week 9, on demand): Kafka Connect at KAFKA_VERSION + the Iceberg sink on an S3-compatible store
ICEBERG_VERSION = "1.12.0"  # iceberg-kafka-connect (no runtime bundle on Maven: the plugin folder is assembled)
AWS_SDK_VERSION = "2.57.8"  # software.amazon.awssdk s3/sts/kms for Iceberg's S3FileIO
HADOOP_VERSION = "3.4.2"  # hadoop-client-api/-runtime: Iceberg's Parquet writer needs Configuration
SQLITE_JDBC_VERSION = "3.54.1.0"  # the JDBC catalog's SQLite file
S3PROXY_VERSION = "4.1.0"  # org.gaul:s3proxy jar-with-dependencies, filesystem backend
MAVEN_DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
JAVA_MAJOR = 17
REGISTRY_JAVA_MIN = 21  # Apicurio 3.3.x classes are Java 21 bytecode (class file 65); it runs on 21 or 25

# kind target
LOCAL_STACK = ("kafka", "schema_registry", "cassandra", "prometheus")  # the default local stack (`lab up`), start order
ON_DEMAND_SERVICES = ("s3proxy", "connect")  # started only when named (`lab up archive`): keeps the default's memory
KIND_COMPONENTS = ("kafka", "schema_registry", "cassandra", "prometheus", "grafana", "spark", "producer")  # start order
TLC_SERVICES = ("yellow", "green")  # the taxi services whose trip files the lab reads

STRIMZI_VERSION = "1.2.0"
STRIMZI_API = "kafka.strimzi.io/v1"  # the API group/version of the Kafka, KafkaNodePool, KafkaTopic … resources
STRIMZI_INSTALL_URL = (  # release asset; lab rewrites its `namespace: myproject` to NAMESPACE at deploy time
    "https://github.com/strimzi/strimzi-kafka-operator/releases/download/"
    f"{STRIMZI_VERSION}/strimzi-cluster-operator-{STRIMZI_VERSION}.yaml"
)
KIND_VERSION = "v0.31.0"  # the kind release Strimzi 1.2's own CI uses (.azure/scripts/setup-kind.sh)
# kind v0.31.0's default node, pinned by digest as kind pins it (pkg/apis/config/defaults/image.go; the digest was read
# from public sources, not pulled on the build machines); Strimzi 1.2 needs Kubernetes >= 1.30
KIND_NODE_IMAGE = "kindest/node:v1.35.0@sha256:452d707d4862f52530247495d180205e029056831160e22870e37e3f6c1ac31f"
KUBERNETES_VERSION = "1.35.0"  # the schema version tests validate rendered manifests against
KIND_MIN_MEMORY_GIB = 8  # what Docker must be allowed to use for the whole kind stack
# the Kubernetes control plane on loopback (lab.services.controlplane): real API server, controllers and scheduler,
# kwok's fake nodes (no container runs)
CONTROL_PLANE_K8S_VERSION = "1.37.2"
CONTROL_PLANE_ETCD_VERSION = "3.7.3"
CONTROL_PLANE_KWOK_VERSION = "0.8.0"
HELM_VERSION = "v3.19.0"  # CI installs this helm; lab only needs `helm template`
KUBECTL_MIN = "1.27"  # `kubectl kustomize` (kustomize v5) renders k8s/ on both targets (week 08);
# Debian 12's kubernetes-client is 1.20: "json: unknown field labels"
GRAFANA_CHART_REPO = "https://grafana-community.github.io/helm-charts"  # grafana/helm-charts is deprecated (2026-01)
GRAFANA_CHART = "grafana"
# Grafana 12.4.3; 10.5.15 (the frozen line) is `deprecated: true` in the community index. Every key of
# k8s/base/grafana/values.yaml was checked against the chart's source at tag grafana-11.6.1 (values.yaml, _pod.tpl,
# service.yaml); the chart is rendered only where helm runs (the kind workflow), not on the build machines
GRAFANA_CHART_VERSION = "11.6.1"
GRAFANA_IMAGE_TAG = "12.4.3"  # the chart's appVersion; the Cassandra plugin supports Grafana <= 12.x
CASSANDRA_PLUGIN = "hadesarchitect-cassandra-datasource"
CASSANDRA_PLUGIN_VERSION = "3.3.0"
CASSANDRA_IMAGE = "cassandra:5.0.8"
APICURIO_IMAGE = f"quay.io/apicurio/apicurio-registry:{APICURIO_VERSION}"
REGISTRY_CCOMPAT_PATH = "/apis/ccompat/v7"  # Apicurio's Confluent-compatible API under the HTTP root
PROMETHEUS_IMAGE = "quay.io/prometheus/prometheus:v3.13.2"  # 3.13 LTS (2.53 LTS ended 2025-07-31); kind only
PRODUCER_IMAGE = "kappa-lab/producer:0.1.0"
SPARK_IMAGE = "kappa-lab/spark-job:0.1.0"
KIND_CLUSTER = "kappa-lab"
NAMESPACE = "kappa"
KAFKA_CLUSTER = "lab"  # Strimzi Kafka CR name
KAFKA_NODE_POOL = "dual-role"  # Strimzi KafkaNodePool name (one broker+controller node)
KAFKA_USER = "lab-client"  # KafkaUser of the optional SCRAM-SHA-512 component
CASSANDRA_USER = "lab"  # role the schema Job creates with the generated password (kind)
CURL_IMAGE = "curlimages/curl:8.11.1"  # init container fetching the JMX exporter agent from Maven Central
CONNECT_IMAGE = "kappa-lab/connect-iceberg:0.1.0"  # components/archive: Strimzi's Kafka image + the Iceberg sink
CONNECT_BASE_IMAGE = f"quay.io/strimzi/kafka:{STRIMZI_VERSION}-kafka-{KAFKA_VERSION}"
JRE_IMAGE = "eclipse-temurin:17.0.15_6-jre"  # components/archive: runs the S3Proxy jar from Maven Central
KUBECTL_IMAGE = f"registry.k8s.io/kubectl:v{KUBERNETES_VERSION}"  # the snapshot CronJob execs nodetool in cassandra-0
SPARK_BASE_IMAGE = "python:3.11-slim-bookworm"
# In-cluster addresses (Service DNS name:port) of the kind target, for pods such as the Spark driver.
# The production overlay (k8s/overlays/production): three of each stateful service, one per zone, on small nodes.
PRODUCTION_OVERLAY = "production"
ZONE_LABEL = "topology.kubernetes.io/zone"  # rack awareness (Kafka broker.rack) and spreading (every stateful pod)
PROD_KAFKA_POOLS = {"controller": 3, "broker": 3}  # Strimzi KafkaNodePool name -> replicas (KRaft roles apart)
PROD_TOPIC_REPLICATION = (3, 2)  # replication factor, min.insync.replicas (env of the overlay's pods: see topics)
PROD_TOPIC_PARTITIONS = 12  # taxi-trips on three brokers: 4 leaders each (capacity plan, overlay README)
PROD_CASSANDRA_NODES = 3
PROD_CASSANDRA_RF = 3  # NetworkTopologyStrategy, for the lab keyspace and system_auth
PROD_CASSANDRA_NUM_TOKENS = 16
PROD_CASSANDRA_DC = "datacenter1"  # = LOCAL_DATACENTER: the datacenter every client names as its local one
PROD_SPARK_EXECUTORS = 2
PROD_REGISTRY_REPLICAS = 2  # KafkaSQL storage: every replica reads the same journal topic
PROD_NODE = {"cpu": "4", "memory": "16Gi", "allocatable_cpu": "3800m", "allocatable_memory": "14Gi"}  # one node
PROD_NODES_PER_ZONE, PROD_ZONES = 2, 3
CHECKPOINT_BUCKET = "kappa-checkpoints"  # S3-compatible bucket of the Spark checkpoints (S3A)
SPARK_K8S_IMAGE = "kappa-lab/spark-k8s:0.1.0"  # SPARK_IMAGE + Spark's pod entrypoint + the S3A jars
HADOOP_AWS_VERSION = "3.3.4"  # = the hadoop-client of pyspark 3.5.7 (S3A must match it)
AWS_SDK_BUNDLE_VERSION = "1.12.262"  # the AWS SDK v1 bundle hadoop-aws 3.3.4 is built against
KIND_SERVICES = {
    "kafka": f"{KAFKA_CLUSTER}-kafka-bootstrap:9092",
    "registry": "apicurio-registry:8080",
    "registry_management": "apicurio-registry-management:9000",  # /health/ready; in the cluster only (no NodePort)
    "cassandra": "cassandra:9042",
    "prometheus": "prometheus:9090",
    "grafana": "grafana:80",
}

# --- names ----------------------------------------------------------------------------------
TRIPS_TOPIC = "taxi-trips"
DLQ_TOPIC = "taxi-trips-dlq"


def subject(topic: str) -> str:
    """The registry subject of a topic's values (the serializer's TopicNameStrategy)."""
    return f"{topic}-value"


READER_SUBJECT = "lab-stream-reader-value"  # the streaming job registers its reader schema here to learn its id
TOPIC_PARTITIONS = 6
DLQ_PARTITIONS = 1
LIVE_TOPIC = "taxi-trips-live"  # week 9's live demo and replay run on their own topic
LATE_TOPIC = "taxi-trips-late"  # the late-data demonstration (lab/lessons/late.py) has its own topic
TOPIC_RETENTION_MS = 7 * 24 * 3600 * 1000
# Replication of the lab's topics: 1 on the one-broker local and kind stacks; a cluster of three brokers sets
# LAB_TOPIC_REPLICATION_FACTOR=3 and LAB_TOPIC_MIN_INSYNC_REPLICAS=2 (k8s/overlays/production does, for its pods).
TOPIC_REPLICATION_FACTOR = 1
TOPIC_REPLICATION_ENV = "LAB_TOPIC_REPLICATION_FACTOR"
TOPIC_MIN_ISR_ENV = "LAB_TOPIC_MIN_INSYNC_REPLICAS"


def week_topic(week: str) -> str:
    """The trips topic a week's notebook fills and reads on its own, so weeks never read each other's data."""
    return f"{TRIPS_TOPIC}-w{int(week):02d}"


DEFAULT_COMPATIBILITY = "BACKWARD"
KEYSPACE = "kappa"
WEEK04_TABLE = "week04_windows"  # the table week 4's foreachBatch exercise upserts into
WEEK05_TABLE = "borough_revenue_hourly"  # the table the learner designs in week 5
# versions of the zone windows (week 9): v1 5-minute windows, v2 10-minute windows written by a reprocessing job
WINDOWS_TABLES = ("zone_windows", "zone_windows_v2")
WINDOWS_TABLE_ENV = "LAB_WINDOWS_TABLE"  # the one reader setting: which version charts and dashboards read
# the raw archive (lab.archive): every taxi-trips record byte for byte in an Iceberg table on S3Proxy
ARCHIVE_BUCKET = "kappa-archive"
ARCHIVE_CATALOG = "iceberg"  # the Iceberg sink's default catalog name: readers must open it under this name
ARCHIVE_TABLE = "archive.taxi_trips_raw"  # namespace.table
ARCHIVE_CONNECTOR = "taxi-trips-archive"
# what the archive connector reads: every trips topic of the lab (taxi-trips, week 9's taxi-trips-live, a week's
# taxi-trips-wNN), never a dead-letter topic nor a replay of the archive itself (…-replayed)
ARCHIVE_TOPICS_REGEX = r"taxi-trips(-live|-w[0-9]{2})?"
ARCHIVE_CONTROL_TOPIC = "iceberg-control"  # the Iceberg sink's commit coordination (created by lab.archive)
LOCAL_DATACENTER = "datacenter1"
TLC_DEFAULT_BASE_URL = "https://d37ci6vzurychx.cloudfront.net"

TARGETS = ("local", "kind")


@dataclass(frozen=True)
class Ports:
    """Local ports; every one is shifted by LAB_PORT_OFFSET so two stacks can run side by side."""

    kafka: int = 9092
    kafka_controller: int = 9093
    kafka_jmx_exporter: int = 9404
    registry: int = 8081
    registry_management: int = 9001
    cassandra_cql: int = 9042
    cassandra_storage: int = 7000
    cassandra_jmx: int = 7199
    cassandra_jmx_exporter: int = 9405
    spark_ui: int = 4040
    spark_metrics: int = 9406  # StreamingQueryListener gauges (prometheus_client)
    producer_metrics: int = 9407
    prometheus: int = 9090
    s3proxy: int = 9300  # the archive's object store (on demand)
    connect: int = 8083  # the Kafka Connect worker's REST API (on demand)


# NodePorts of the kind target, mapped to the same host ports (k8s/kind-config.yaml).
KIND_NODEPORTS = {
    "kafka_bootstrap": 32100,
    "kafka_broker_0": 32000,
    "registry": 30081,
    "cassandra_cql": 30042,
    "prometheus": 30090,
    "grafana": 30300,
}
KIND_HOST_PORTS = {
    "kafka_bootstrap": 32100,
    "kafka_broker_0": 32000,
    "registry": 8081,
    "cassandra_cql": 9042,
    "prometheus": 9090,
    "grafana": 3000,
}


@dataclass(frozen=True)
class ControlPlanePorts:
    """Ports of the Kubernetes control plane on loopback (lab.services.controlplane: on demand and in the k8s test
    tier), shifted by LAB_PORT_OFFSET like Ports; kept apart from Ports, which lists the stack's own listeners."""

    api: int = 16443
    etcd: int = 23790
    etcd_peer: int = 23800
    controller_manager: int = 20257
    scheduler: int = 20259
    kwok: int = 20247


def control_plane_ports() -> ControlPlanePorts:
    """The control plane's ports after the offset."""
    off = port_offset()
    return ControlPlanePorts(**{k: v + off for k, v in ControlPlanePorts().__dict__.items()})


def port_offset() -> int:
    """The offset added to every local port (env LAB_PORT_OFFSET, default 0)."""
    return int(os.environ.get("LAB_PORT_OFFSET", "0"))


def ports() -> Ports:
    """Local ports after the offset."""
    off = port_offset()
    base = Ports()
    return Ports(**{k: v + off for k, v in base.__dict__.items()})


def shared_dir() -> Path:
    """The read-only shared folder beside the clone (Strimzi's files, the control plane's binaries, TLC samples on the
    build machines): env LAB_SHARED_DIR or <repo>/../shared."""
    return Path(os.environ.get("LAB_SHARED_DIR", REPO_ROOT.parent / "shared")).resolve()


def lab_home() -> Path:
    """Cache and state folder (jars, service data, logs, pid files): env LAB_HOME or <repo>/.lab."""
    return Path(os.environ.get("LAB_HOME", REPO_ROOT / ".lab")).resolve()


def log_file() -> Path:
    """The lab's own log (librdkafka's lines among others): <lab_home>/logs/lab.log."""
    return lab_home() / "logs" / "lab.log"


def jars_dir() -> Path:
    """Resolved Maven bundles: env LAB_JARS or <lab_home>/jars (several LAB_HOMEs may share one)."""
    return Path(os.environ.get("LAB_JARS", lab_home() / "jars")).resolve()


def data_dir() -> Path:
    """Where downloaded TLC files are cached: env LAB_DATA_DIR or <repo>/data/cache."""
    return Path(os.environ.get("LAB_DATA_DIR", REPO_ROOT / "data" / "cache")).resolve()


def tlc_base_url() -> str:
    """TLC base URL with the official layout (env LAB_TLC_BASE_URL); tests point it at file://…/shared/data/tlc."""
    return (os.environ.get("LAB_TLC_BASE_URL") or TLC_DEFAULT_BASE_URL).rstrip("/")


def _positive_int(var: str, default: int) -> int:
    raw = os.environ.get(var)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise LabError(f"{var}={raw!r} is not a positive whole number: set it to 1, 2, 3 … or unset it")
    return value


def topic_replication() -> tuple[int, int]:
    """(replication factor, min.insync.replicas) of the lab's topics.

    Env LAB_TOPIC_REPLICATION_FACTOR (default TOPIC_REPLICATION_FACTOR, 1) and LAB_TOPIC_MIN_INSYNC_REPLICAS
    (default: one less than the replication factor, at least 1: a write is acknowledged while one replica is down).

    >>> topic_replication()
    (1, 1)
    """
    factor = _positive_int(TOPIC_REPLICATION_ENV, TOPIC_REPLICATION_FACTOR)
    min_isr = _positive_int(TOPIC_MIN_ISR_ENV, max(1, factor - 1))
    if min_isr > factor:
        raise LabError(
            f"{TOPIC_MIN_ISR_ENV}={min_isr} exceeds {TOPIC_REPLICATION_ENV}={factor}: no write could ever be "
            f"acknowledged with acks=all; set it to at most {factor} (usually {max(1, factor - 1)})"
        )
    return factor, min_isr


def _windows_table(name: str) -> str:
    if name not in WINDOWS_TABLES:
        raise LabError(
            f"{WINDOWS_TABLE_ENV}={name!r} is not a zone-windows table: choose one of {', '.join(WINDOWS_TABLES)}"
        )
    return name


def windows_table() -> str:
    """The zone-windows table readers use (charts, dashboards): env LAB_WINDOWS_TABLE, default "zone_windows".

    >>> windows_table() in WINDOWS_TABLES
    True
    """
    return _windows_table(os.environ.get(WINDOWS_TABLE_ENV) or WINDOWS_TABLES[0])


def use_windows_table(name: str) -> str:
    """Switch every reader of this process and of the processes it starts to `name` (sets LAB_WINDOWS_TABLE)."""
    os.environ[WINDOWS_TABLE_ENV] = _windows_table(name)
    return name


def registry_java_home() -> Path | None:
    """JDK (>= REGISTRY_JAVA_MIN) for the schema registry: env LAB_REGISTRY_JAVA_HOME, else searched for (None)."""
    value = os.environ.get("LAB_REGISTRY_JAVA_HOME")
    return Path(value) if value else None


def java_home() -> Path | None:
    """JDK to run the services with: env LAB_JAVA_HOME, else JAVA_HOME, else `java` on PATH (None)."""
    for var in ("LAB_JAVA_HOME", "JAVA_HOME"):
        if os.environ.get(var):
            return Path(os.environ[var])
    return None


_current_target = os.environ.get("LAB_TARGET", "local")


def use(target: str) -> str:
    """Select the target ('local' or 'kind') for every later call; returns it."""
    global _current_target
    if target not in TARGETS:
        raise LabError(f"unknown target {target!r}: choose one of {', '.join(TARGETS)}")
    _current_target = target
    return target


def target() -> str:
    """The selected target (default 'local', or env LAB_TARGET)."""
    return _current_target
