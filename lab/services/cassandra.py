"""Cassandra 5.0.8 as one local node from the cassandra-all jars (CassandraDaemon), or the kind cluster's Cassandra."""

from __future__ import annotations

from pathlib import Path

from lab import config
from lab.services import artifacts, target
from lab.services.process import without_memory_lock
from lab.services.service import Service
from lab.wait import port_open

NAME = "cassandra"
RESOURCES = config.RESOURCES
_clusters: dict[tuple, object] = {}
_sessions: dict[tuple, object] = {}

# conf/jvm17-server.options of Cassandra 5.0: the module flags a bare classpath needs on Java 17.
_ADD_EXPORTS = (
    "java.base/jdk.internal.misc",
    "java.management.rmi/com.sun.jmx.remote.internal.rmi",
    "java.rmi/sun.rmi.registry",
    "java.rmi/sun.rmi.server",
    "java.sql/java.sql",
    "java.base/java.lang.ref",
    "jdk.unsupported/sun.misc",
    "jdk.compiler/com.sun.tools.javac.file",
    "jdk.attach/sun.tools.attach",
)
_ADD_OPENS = (
    "java.base/java.lang.module",
    "java.base/jdk.internal.loader",
    "java.base/jdk.internal.ref",
    "java.base/jdk.internal.reflect",
    "java.base/jdk.internal.math",
    "java.base/jdk.internal.module",
    "java.base/jdk.internal.util.jar",
    "jdk.management/com.sun.management.internal",
    "java.base/sun.nio.ch",
    "java.base/java.io",
    "java.base/java.lang.reflect",
    "jdk.compiler/com.sun.tools.javac",
    "java.base/java.lang",
    "java.base/java.util",
    "java.base/java.nio",
)
JVM_MODULE_FLAGS = tuple(
    [f"--add-exports={m}=ALL-UNNAMED" for m in _ADD_EXPORTS] + [f"--add-opens={m}=ALL-UNNAMED" for m in _ADD_OPENS]
)


def data_dir() -> Path:
    """Data, commit log, caches and hints (deleted by `lab down --purge`)."""
    return process().home / "data"


def _endpoint() -> tuple[str, int]:
    host, port = target.current().address(NAME).rsplit(":", 1)
    return host, int(port)


def contact_points() -> list[str]:
    """Hosts for cassandra.cluster.Cluster(contact_points=…)."""
    return [_endpoint()[0]]


def cql_port() -> int:
    """The CQL native port of the selected target."""
    return _endpoint()[1]


def credentials() -> tuple[str | None, str | None]:
    """(user, password) of the lab's role: none locally (AllowAllAuthenticator), the generated role's on kind."""
    return target.current().cassandra_credentials()


def local_datacenter() -> str:
    """The data centre name for DCAwareRoundRobinPolicy (SimpleSnitch: datacenter1)."""
    return config.LOCAL_DATACENTER


def write_config() -> Path:
    """Render cassandra.yaml and logback.xml into the run folder; returns the cassandra.yaml path."""
    p = config.ports()
    return process().render(
        RESOURCES / "cassandra" / "cassandra.yaml.tmpl",
        "cassandra.yaml",
        [RESOURCES / "cassandra" / "logback.xml"],
        storage_port=p.cassandra_storage,
        cql_port=p.cassandra_cql,
        data=data_dir(),
    )


def _launch(proc) -> tuple[list[str], None]:
    """The node's command line: the flags bin/cassandra and cassandra-env.sh would add, with our sizes."""
    java = artifacts.java_bin()
    yaml_path = write_config()
    home, p = proc.home, config.ports()
    agent = artifacts.jar("agents", "jmx_prometheus_javaagent")
    argv = [
        # 512 MiB heap (memtables 128 MiB of it): the 1M-trip replay of bench/streaming.py runs as fast as with 768 MiB
        # (stream 44.1 s both, batch +5%, two runs each) and the node's RSS at its peak is ≈ 1.0 GiB instead of 1.28.
        java,
        "-Xms512M",
        "-Xmx512M",
        "-Xmn128M",
        "-XX:+UseG1GC",
        "-Xss256k",
        "-XX:+PerfDisableSharedMem",
        "-XX:+ExitOnOutOfMemoryError",
        # full JIT (C1 + C2): the node starts ~2-3 s later than C1-only, but writes ~20-50% faster once warm
        # (bench/streaming.py replay: the connector's writes are the job's bottleneck on 2 cores).
        "-Djava.net.preferIPv4Stack=true",
        "-Djdk.attach.allowAttachSelf=true",
        *JVM_MODULE_FLAGS,
        "-Dio.netty.tryReflectionSetAccessible=true",
        "-Dio.netty.allocator.useCacheForAllThreads=true",
        "-Dio.netty.allocator.maxOrder=11",
        f"-javaagent:{artifacts.jar(NAME, 'jamm-')}",
        f"-javaagent:{agent}=127.0.0.1:{p.cassandra_jmx_exporter}:{RESOURCES / 'jmx' / 'cassandra.yaml'}",
        f"-Dcassandra.config=file://{yaml_path}",
        f"-Dlogback.configurationFile=file://{home / 'logback.xml'}",
        f"-Dcassandra.logdir={home}",
        f"-Dcassandra.storagedir={data_dir()}",
        "-Dcassandra-foreground=yes",
        f"-Dcassandra.jmx.local.port={p.cassandra_jmx}",
        "-Dcassandra.skip_wait_for_gossip_to_settle=0",
        "-Dcassandra.superuser_setup_delay_ms=0",
        "-cp",
        artifacts.classpath(NAME),
        "org.apache.cassandra.service.CassandraDaemon",
    ]
    return without_memory_lock(argv), None


def _cluster(points: tuple[str, ...], port: int, user: str | None, password: str | None):
    from cassandra.auth import PlainTextAuthProvider
    from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
    from cassandra.policies import DCAwareRoundRobinPolicy, ExponentialReconnectionPolicy

    key = (points, port, user)
    cluster = _clusters.get(key)
    if cluster is None or cluster.is_shutdown:
        profile = ExecutionProfile(
            load_balancing_policy=DCAwareRoundRobinPolicy(local_dc=local_datacenter()), request_timeout=30
        )
        auth = PlainTextAuthProvider(username=user, password=password) if user else None
        cluster = Cluster(
            list(points),
            port=port,
            protocol_version=5,
            connect_timeout=5,
            reconnection_policy=ExponentialReconnectionPolicy(0.5, 5.0),  # a restarted node is back in seconds
            auth_provider=auth,
            execution_profiles={EXEC_PROFILE_DEFAULT: profile},
        )
        _clusters[key] = cluster
    return cluster


def session_at(
    points: tuple[str, ...],
    port: int,
    keyspace: str | None = None,
    user: str | None = None,
    password: str | None = None,
):
    """A cassandra-driver Session for explicit contact points (e.g. in a Spark worker), cached per process."""
    key = (points, port, user, keyspace)
    sess = _sessions.get(key)
    if sess is None or sess.is_shutdown:
        sess = _sessions[key] = _cluster(points, port, user, password).connect(keyspace)
    return sess


def session(keyspace: str | None = None):
    """A cassandra-driver Session for the selected target, cached per process and keyspace (closed by stop())."""
    return session_at(tuple(contact_points()), cql_port(), keyspace, *credentials())


def close_sessions() -> None:
    """Shut down every cached driver session and cluster of this Python process."""
    for cluster in list(_clusters.values()):
        cluster.shutdown()
    _clusters.clear()
    _sessions.clear()


def release_version() -> str:
    """The node's Cassandra version, read over CQL (the readiness query)."""
    return session().execute("SELECT release_version FROM system.local").one().release_version


def _probe() -> str:
    """Raises with the reason unless the CQL port answers and system.local can be read."""
    if not port_open(contact_points()[0], cql_port()):
        raise ConnectionError(f"CQL port {cql_port()} not open yet")
    try:
        return release_version()
    except Exception:
        close_sessions()
        raise


class Cassandra(Service):
    """One Cassandra node; on kind, its StatefulSet."""

    name = NAME
    start_timeout, poll_interval, stop_timeout = 180.0, 1.0, 60.0
    launch, probe = staticmethod(_launch), staticmethod(_probe)

    def ports(self) -> tuple[int, ...]:
        p = config.ports()
        return (p.cassandra_cql, p.cassandra_storage, p.cassandra_jmx, p.cassandra_jmx_exporter)

    def before_stop(self) -> None:
        close_sessions()  # the driver's sessions would reconnect to a node that is gone


SERVICE = Cassandra()
process, start, stop = SERVICE.process, SERVICE.start, SERVICE.stop
ready, wait_ready = SERVICE.ready, SERVICE.wait_ready
