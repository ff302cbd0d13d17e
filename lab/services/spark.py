"""Spark as a lab service: one local SparkSession with the Kafka, Avro and Cassandra connector jars."""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

from lab import config
from lab.errors import ServiceStartError, java_cause, one_line
from lab.services import artifacts, cassandra
from lab.services.process import NATIVE_ENV, file_tail, require_free
from lab.wait import http_ok, until, within

log = logging.getLogger(__name__)

MASTER = "local[2]"
DRIVER_MEMORY = "512m"  # local[2]; holds a micro-batch of lab.stream.MAX_BATCH records (bench/streaming.py replay)
SHUFFLE_PARTITIONS = 2
APP_NAME = "kappa-lab"
STOP_TIMEOUT_S = 60.0  # a whole stop: the queries, then the session; past it the driver JVM is killed
LOG_CONFIG = config.RESOURCES / "spark" / "log4j2.properties"  # Spark's log to log_file(), not to the console
CHECKPOINT_FILES = "org.apache.spark.sql.execution.streaming.FileSystemBasedCheckpointFileManager"
QUERY_STOP_TIMEOUT_MS = 20_000  # spark.sql.streaming.stopTimeout: a query's stop waits this long for its thread

_session = None


def cassandra_host_port() -> tuple[str, int]:
    """Where the Spark Cassandra Connector connects: the first contact point and the CQL port."""
    return cassandra.contact_points()[0], int(cassandra.cql_port())


def conf(master: str = MASTER, driver_memory: str = DRIVER_MEMORY, ui: bool = True) -> dict[str, str]:
    """The Spark settings the lab uses (connector jars via spark.jars, never --packages)."""
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
        # the state store keeps one version in memory, not two: each batch copies the last version's map anyway,
        # and in a 512m driver the older copy (~80 MiB in a 1M-trip replay) only fed full GCs (docs/performance.md)
        "spark.sql.streaming.maxBatchesToRetainInMemory": "1",
        "spark.default.parallelism": "2",
        "spark.sql.adaptive.enabled": "false",  # stable plans for the lessons
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.execution.arrow.maxRecordsPerBatch": "25000",  # fewer, larger pandas batches for the decoder
        "spark.python.worker.reuse": "true",
        "spark.python.daemon.module": "lab.services.pydaemon",  # pyspark from the venv, not Spark's zip: ~90 ms/task
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
        # writes: 64-row unlogged batches and 16 requests in flight (bench/streaming.py: zone_windows 11k → 20k+ rows/s
        # on 2 cores). Grouped by replica set, not by partition key: on one node every row has the same replicas, so a
        # batch fills with the next 64 rows; grouped by partition, the connector held up to 10,000 half-filled batches
        # per task (~115k bound statements, ~0.25 GiB of heap in a 500k-record micro-batch) and the driver needed 768 MiB
        "spark.cassandra.output.concurrent.writes": "16",
        "spark.cassandra.output.batch.size.rows": "64",
        "spark.cassandra.output.batch.grouping.key": "replica_set",
        "spark.cassandra.input.consistency.level": "LOCAL_ONE",
        "spark.sql.streaming.forceDeleteTempCheckpointLocation": "true",
        # checkpoint files (offset and commit logs, state-store deltas) through Hadoop's FileSystem API: on a local disk
        # FileContext's rename runs `readlink` as a child process for each file and for its .crc (with the `chmod` of
        # each new file, ~40 processes per micro-batch; ~8 this way, the chmods). The offset log's write before a
        # batch took 40 ms, 10 ms this way. A local rename is atomic either way; the query is the checkpoint's only writer
        "spark.sql.streaming.checkpointFileManagerClass": CHECKPOINT_FILES,
        # a query's stop() gives up after this long instead of waiting forever for its thread (lab.spark.stop)
        "spark.sql.streaming.stopTimeout": str(QUERY_STOP_TIMEOUT_MS),
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
    for key, value in NATIVE_ENV.items():  # the driver JVM (and its Python workers) inherit this process's environment
        os.environ.setdefault(key, value)
    given = submitted()  # run by spark-submit (e.g. --master k8s://… on a cluster): its settings win over conf()'s
    lab = {k: v for k, v in conf().items() if k not in given}
    settings = {**lab, **{k.replace("__", "."): v for k, v in overrides.items()}}
    if not given:  # our own driver JVM: Spark's log to a file (under spark-submit it keeps its console: the pod's log)
        log_file().parent.mkdir(parents=True, exist_ok=True)
        settings["spark.driver.extraJavaOptions"] = (
            f"{settings.get('spark.driver.extraJavaOptions', '')} -Dlog4j2.configurationFile={LOG_CONFIG}"
            f" -Dlab.spark.log={log_file()}"
        ).strip()
    Path(settings["spark.local.dir"]).mkdir(parents=True, exist_ok=True)
    if not given and settings.get("spark.ui.enabled") == "true":
        # an earlier driver (a kernel that died without lab.spark.stop()) may still hold it: say whose it is
        require_free("spark", int(settings["spark.ui.port"]))
    from pyspark.sql import SparkSession

    builder = SparkSession.builder
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        _session = builder.getOrCreate()
    except Exception as exc:  # noqa: BLE001 - py4j/launcher errors come in many types
        raise ServiceStartError("spark", _first_cause(exc), log_tail="" if given else log_tail()) from exc
    _session.sparkContext.setLogLevel("WARN")
    _quiet(_session)
    return _session


def _first_cause(exc: Exception) -> str:
    """One line for a failed start: the innermost Java exception of a Py4JJavaError, not py4j's whole Java trace."""
    java = getattr(exc, "java_exception", None)
    if java is not None:
        return ": ".join(java_cause(java))
    return one_line(f"{type(exc).__name__}: {exc}")


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


def log_file() -> Path:
    """Where the lab's SparkSession writes Spark's own log (never into a notebook's cells)."""
    return config.lab_home() / "logs" / "spark-driver.log"


def log_tail(lines: int = 20) -> str:
    """The last lines of Spark's log, without Java stack frames (a failed start logs its exception's whole trace)."""
    kept = [line for line in file_tail(log_file(), 400).splitlines() if not line.startswith(("\tat ", "\t..."))]
    return "\n".join(kept[-lines:])


def session():
    """The running SparkSession (started on first use)."""
    return start()


def wait_ready(timeout: float = 60.0) -> str:
    """Wait until the Spark UI answers; returns its URL."""
    if _session is None:
        raise ServiceStartError("spark", "not started: call lab.spark.start() first")
    url = ui_url()
    until(lambda: http_ok(url), service="spark UI", timeout=timeout, interval=0.5)
    return url


def running() -> bool:
    """True while our SparkSession is alive."""
    return _session is not None and _session.sparkContext._jsc is not None


def forget_schema() -> bool:
    """Drop the Cassandra connector's cached sessions, so the next Spark read or write sees tables created since.

    The connector's driver learns of a new table from a schema event up to a second later (debounced); a query
    started right after a CREATE TABLE can otherwise fail with "Couldn't find table". True when a session was running.
    """
    if not running():
        return False
    _session.sparkContext._jvm.com.datastax.spark.connector.cql.CassandraConnector.evictCache()
    return True


def stop(timeout: float = STOP_TIMEOUT_S) -> bool:
    """Stop every streaming query and the SparkSession, bounded; True when something was stopped.

    First the Python query listeners go (Spark's listener bus waits for each Python callback, and the session's
    stop waits for the bus), then the queries, then the session, each within the time left of `timeout`. A
    session that does not stop in time has its driver JVM killed: said in one warning, and the next `start()`
    launches a new one.
    """
    global _session
    if _session is None:
        return False
    spark, _session = _session, None
    deadline = time.monotonic() + timeout
    left = lambda: max(1.0, deadline - time.monotonic())
    stopped = (
        within(lambda: _remove_python_listeners(spark), left(), "listeners")
        and within(lambda: [q.stop() for q in spark.streams.active], left(), "queries")
        and within(spark.stop, left(), "session")
    )
    if not stopped:
        pid = _kill_driver()
        log.warning(
            "Spark did not stop within %.0f s: killed its driver JVM (pid %s); the next lab.spark.start() starts "
            "a new one. Its log: %s",
            timeout,
            pid,
            log_file(),
        )
    return True


def _remove_python_listeners(spark) -> int:
    """Deregister every Python StreamingQueryListener (the lab's and a learner's) from the session; returns how many."""
    jstreams = spark._jsparkSession.streams()
    gone = 0
    for jlistener in jstreams.listListeners():
        if "Python" in jlistener.getClass().getName():
            jstreams.removeListener(jlistener)
            gone += 1
    return gone


def _kill_driver() -> int | None:
    """Kill the py4j gateway's JVM (the driver) and forget pyspark's handles to it; returns its pid."""
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    gateway = SparkContext._gateway
    proc = getattr(gateway, "proc", None)
    pid = getattr(proc, "pid", None)
    if proc is not None:
        proc.kill()
        proc.wait(timeout=30)
    with SparkContext._lock:
        SparkContext._gateway = None
        SparkContext._jvm = None
        SparkContext._active_spark_context = None
    SparkSession._instantiatedSession = None
    SparkSession._activeSession = None
    return pid


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
