"""Spark as a lab service: one local SparkSession with the Kafka, Avro and Cassandra connector jars."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from lab import config
from lab.errors import ServiceStartError

MASTER = "local[2]"
DRIVER_MEMORY = "768m"  # local[2] with small micro-batches; keeps the stack + job within 4 GiB
SHUFFLE_PARTITIONS = 2
APP_NAME = "kappa-lab"

_session = None


def cassandra_host_port() -> tuple[str, int]:
    """Where the Spark Cassandra Connector connects: the first contact point and the CQL port."""
    from lab.services import cassandra

    return cassandra.contact_points()[0], int(cassandra.cql_port())


def conf(master: str = MASTER, driver_memory: str = DRIVER_MEMORY, ui: bool = True) -> dict[str, str]:
    """The Spark settings the lab uses (connector jars via spark.jars, never --packages)."""
    from lab.services import artifacts, cassandra

    host, port = cassandra_host_port()
    user, password = cassandra.credentials()
    home = config.lab_home() / "spark"
    auth = {"spark.cassandra.auth.username": user, "spark.cassandra.auth.password": password} if user else {}
    return {
        **auth,
        "spark.master": master,
        "spark.app.name": APP_NAME,
        "spark.driver.memory": driver_memory,
        # HotSpot leaves methods over 8,000 bytes of bytecode interpreted; Spark's generated code for the job's
        # decoding rules and window aggregates is bigger: compiled, the decode stage runs ~2× faster. The parallel
        # collector (throughput first) replays ~8% faster than G1 at the same RSS (bench/streaming.py)
        "spark.driver.extraJavaOptions": "-XX:-DontCompileHugeMethods -XX:+UseParallelGC",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.driver.host": "127.0.0.1",
        "spark.jars": ",".join(str(p) for p in artifacts.spark_jars()),
        "spark.local.dir": str(home / "tmp"),
        "spark.sql.warehouse.dir": str(home / "warehouse"),
        "spark.sql.session.timeZone": "UTC",  # TLC wall-clock times are encoded as if UTC
        "spark.sql.shuffle.partitions": str(SHUFFLE_PARTITIONS),
        "spark.default.parallelism": "2",
        "spark.sql.adaptive.enabled": "false",  # stable plans for the lessons
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.execution.arrow.maxRecordsPerBatch": "25000",  # fewer, larger pandas batches for the decoder
        "spark.python.worker.reuse": "true",
        "spark.ui.enabled": str(ui).lower(),
        "spark.ui.port": str(config.ports().spark_ui),
        "spark.port.maxRetries": "0",  # fail loudly instead of drifting to 4041
        "spark.ui.showConsoleProgress": "false",
        "spark.ui.prometheus.enabled": "true",
        "spark.sql.streaming.metricsEnabled": "true",
        "spark.metrics.conf.*.sink.prometheusServlet.class": "org.apache.spark.metrics.sink.PrometheusServlet",
        "spark.metrics.conf.*.sink.prometheusServlet.path": "/metrics/prometheus",
        "spark.metrics.namespace": "lab",
        "spark.sql.extensions": "com.datastax.spark.connector.CassandraSparkExtensions",
        "spark.cassandra.connection.host": host,
        "spark.cassandra.connection.port": str(port),
        "spark.cassandra.connection.localDC": config.LOCAL_DATACENTER,
        "spark.cassandra.output.consistency.level": "LOCAL_ONE",
        # a restarted Cassandra is found again within seconds (the driver's default backs off up to 60 s)
        "spark.cassandra.connection.reconnectionDelayMS.max": "5000",
        # writes: bigger unlogged batches per partition key and more requests in flight (bench/streaming.py:
        # zone_windows 11k → 20k+ rows/s on 2 cores); 64 rows of these tables stay far below Cassandra's batch limits
        "spark.cassandra.output.concurrent.writes": "16",
        "spark.cassandra.output.batch.size.rows": "64",
        "spark.cassandra.output.batch.grouping.buffer.size": "10000",
        "spark.cassandra.input.consistency.level": "LOCAL_ONE",
        "spark.sql.streaming.forceDeleteTempCheckpointLocation": "true",
    }


def start(**overrides: str) -> pyspark.sql.SparkSession:  # noqa: F821
    """Start (or return) the lab's SparkSession; keyword overrides replace settings from `conf()`.

    Workers run this interpreter (PYSPARK_PYTHON = sys.executable), so they see fastavro and pandas.
    """
    global _session
    if _session is not None and _session.sparkContext._jsc is not None:
        return _session
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # no "hostname resolves to a loopback address" warning
    given = submitted()  # run by spark-submit (e.g. --master k8s://… on a cluster): its settings win over conf()'s
    lab = {k: v for k, v in conf().items() if k not in given}
    settings = {**lab, **{k.replace("__", "."): v for k, v in overrides.items()}}
    Path(settings["spark.local.dir"]).mkdir(parents=True, exist_ok=True)
    from pyspark.sql import SparkSession

    builder = SparkSession.builder
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        _session = builder.getOrCreate()
    except Exception as exc:  # noqa: BLE001 - py4j/launcher errors come in many types
        raise ServiceStartError("spark", f"{type(exc).__name__}: {exc}") from exc
    _session.sparkContext.setLogLevel("WARN")
    _quiet(_session)
    return _session


def submitted() -> dict[str, str]:
    """The settings spark-submit gave this driver (its JVM's spark.* properties); {} when not run by spark-submit."""
    if not os.environ.get("PYSPARK_GATEWAY_PORT"):  # set by spark-submit's PythonRunner for the driver script
        return {}
    from pyspark import SparkConf, SparkContext

    SparkContext._ensure_initialized()  # connects to spark-submit's JVM
    return dict(SparkConf().getAll())


QUIET_LOGGERS = (  # warnings that are expected in the lab and would bury the notebook's output
    "org.apache.spark.sql.kafka010.consumer.KafkaDataConsumer",  # KAFKA-1894 note on every batch
    "org.apache.spark.sql.execution.streaming.ProcessingTimeExecutor",  # "batch is falling behind" (shown in progress)
    "org.apache.kafka.clients.admin.AdminClientConfig",
    "org.apache.spark.util.SparkStringUtils",
    # once per task: the fast path re-encodes with the reader schema (non-null fields) columns Spark types as
    # nullable; its rules make them non-null first (lab.fastpath), so the warning never comes true
    "org.apache.spark.sql.avro.AvroSerializer",
)


def _quiet(spark) -> None:
    jvm = spark.sparkContext._jvm
    level = jvm.org.apache.logging.log4j.Level.ERROR
    for name in QUIET_LOGGERS:
        jvm.org.apache.logging.log4j.core.config.Configurator.setLevel(name, level)


def session():
    """The running SparkSession (started on first use)."""
    return start()


def wait_ready(timeout: float = 60.0) -> str:
    """Wait until the Spark UI answers; returns its URL."""
    from lab.wait import http_ok, until

    if _session is None:
        raise ServiceStartError("spark", "not started: call lab.spark.start() first")
    url = ui_url()
    until(lambda: http_ok(url), service="spark UI", timeout=timeout, interval=0.5)
    return url


def running() -> bool:
    """True while our SparkSession is alive."""
    return _session is not None and _session.sparkContext._jsc is not None


def stop() -> bool:
    """Stop every streaming query and the SparkSession; True when something was stopped."""
    global _session
    if _session is None:
        return False
    try:
        for q in _session.streams.active:
            q.stop()
        _session.stop()
    finally:
        _session = None
    return True


def ui_url() -> str:
    """The Spark UI of the local driver."""
    return f"http://127.0.0.1:{config.ports().spark_ui}"


def metrics_url() -> str:
    """Spark's PrometheusServlet endpoint (driver and per-query streaming gauges)."""
    return f"{ui_url()}/metrics/prometheus"


def submit_command(job_args: list[str] | None = None) -> list[str]:
    """The spark-submit command that runs the streaming job with the same jars and settings as `start()`."""
    import shlex

    settings = conf()
    cmd = [
        "spark-submit",
        "--master",
        settings.pop("spark.master"),
        "--jars",
        settings.pop("spark.jars"),
        "--driver-memory",
        settings.pop("spark.driver.memory"),
        "--conf",
        f"spark.pyspark.python={sys.executable}",
    ]
    for key, value in settings.items():
        if key == "spark.cassandra.auth.password":  # never print a secret: let the shell read it
            cmd += ["--conf", f'"{key}=$LAB_CASSANDRA_PASSWORD"']
            continue
        cmd += ["--conf", shlex.quote(f"{key}={value}")]
    return [*cmd, str(config.STREAM_DRIVER), *map(shlex.quote, job_args or [])]
