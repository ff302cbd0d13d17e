"""Service configs rendered from the templates, and the stack's ordering rules (unit tests: no services)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from lab import config
from lab.errors import LabError
from lab.services import cassandra, kafka, prometheus, stack


@pytest.fixture
def lab_home(tmp_path, monkeypatch):
    monkeypatch.setenv("LAB_HOME", str(tmp_path))
    monkeypatch.setenv("LAB_PORT_OFFSET", "100")
    return tmp_path


def test_kafka_properties_follow_the_port_offset(lab_home):
    props = dict(
        line.split("=", 1)
        for line in kafka.write_config().read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:9192,CONTROLLER://127.0.0.1:9193"
    assert props["controller.quorum.bootstrap.servers"] == "127.0.0.1:9193"
    assert props["log.dirs"] == str(lab_home / "run" / "kafka" / "data")
    assert props["auto.create.topics.enable"] == "false"
    assert (lab_home / "run" / "kafka" / "log4j2.xml").exists()
    assert kafka.bootstrap_servers() == "127.0.0.1:9192"


def test_cassandra_yaml_is_valid_and_local(lab_home):
    doc = yaml.safe_load(cassandra.write_config().read_text())
    assert doc["native_transport_port"] == 9142 and doc["storage_port"] == 7100
    assert doc["num_tokens"] == 1 and doc["listen_address"] == doc["rpc_address"] == "127.0.0.1"
    assert doc["commitlog_sync"] == "periodic" and doc["commitlog_sync_period"]
    assert all(str(lab_home) in d for d in doc["data_file_directories"] + [doc["commitlog_directory"]])
    assert cassandra.cql_port() == 9142 and cassandra.local_datacenter() == config.LOCAL_DATACENTER


def test_prometheus_config_scrapes_the_offset_ports(lab_home):
    path = prometheus.write_config()
    doc = yaml.safe_load(path.read_text())
    targets = {job["job_name"]: job["static_configs"][0]["targets"][0] for job in doc["scrape_configs"]}
    assert targets["kafka"] == "127.0.0.1:9504" and targets["cassandra"] == "127.0.0.1:9505"
    assert targets["schema-registry"] == "127.0.0.1:9101" and targets["prometheus"] == "127.0.0.1:9190"
    assert doc["global"]["scrape_interval"] == "5s"
    promtool = shutil.which("promtool")
    if promtool:  # the Debian prometheus package ships it
        out = subprocess.run([promtool, "check", "config", str(path)], capture_output=True, text=True)
        assert out.returncode == 0, out.stdout + out.stderr


def test_jmx_rule_files_parse():
    for name in ("kafka", "cassandra"):
        doc = yaml.safe_load((kafka.RESOURCES / "jmx" / f"{name}.yaml").read_text())
        assert doc["lowercaseOutputName"] is True and doc["rules"] and doc["includeObjectNames"]


def test_up_adds_dependencies_and_keeps_the_order():
    assert stack._select(["schema_registry"], with_deps=True) == ["kafka", "schema_registry"]
    assert stack._select(["prometheus", "kafka"], with_deps=True) == ["kafka", "prometheus"]
    assert stack._select(None, with_deps=True) == list(config.LOCAL_STACK)


def test_down_of_kafka_also_stops_the_registry():
    assert stack._select(["kafka"], with_deps=False) == ["kafka", "schema_registry", "connect"]  # Connect reads Kafka
    assert stack._select(["registry"], with_deps=False) == ["schema_registry"]


def test_status_lists_the_archive_only_when_it_runs(lab_home):
    assert [r["name"] for r in stack.status()] == list(config.LOCAL_STACK)
    assert [r["name"] for r in stack.status(["archive"])] == ["s3proxy", "connect"]


def test_unknown_service_is_a_lab_error():
    with pytest.raises(LabError, match="unknown service 'zookeeper'"):
        stack.service("zookeeper")


def test_endpoints_are_what_the_clients_take(lab_home):
    assert stack.endpoints() == {
        "kafka": "127.0.0.1:9192",
        "schema_registry": "http://127.0.0.1:8181/apis/ccompat/v7",
        "cassandra": "127.0.0.1:9142",
        "prometheus": "http://127.0.0.1:9190",
        "s3proxy": "http://127.0.0.1:9400",
        "connect": "http://127.0.0.1:8183",
    }


@pytest.fixture
def spark_conf(lab_home, monkeypatch):
    """lab.spark.conf() without resolved jars (unit test: nothing is started)."""
    from lab.services import artifacts, spark

    monkeypatch.setattr(artifacts, "spark_jars", lambda: [])
    monkeypatch.setattr(spark, "cassandra_host_port", lambda: ("10.0.0.7", 9042))
    return spark


def test_spark_connector_has_no_credentials_locally(spark_conf):
    settings = spark_conf.conf()
    assert not any(k.startswith("spark.cassandra.auth") for k in settings)
    assert settings["spark.cassandra.connection.host"] == "10.0.0.7"


def test_spark_connector_and_quarantine_get_the_cassandra_role_on_kind(spark_conf, monkeypatch):
    from lab.pipeline import sink

    monkeypatch.setattr(config, "_current_target", "kind")
    monkeypatch.setenv("LAB_CASSANDRA_USERNAME", "lab")
    monkeypatch.setenv("LAB_CASSANDRA_PASSWORD", "s3cret-pw")
    settings = spark_conf.conf()
    assert settings["spark.cassandra.auth.username"] == "lab"
    assert settings["spark.cassandra.auth.password"] == "s3cret-pw"
    q = sink.Quarantine.for_target()  # the decoder's side output writes with the same role
    assert (q.host, q.port, q.username, q.password) == ("10.0.0.7", 9042, "lab", "s3cret-pw")
    assert "s3cret-pw" not in repr(q)
    cmd = " ".join(spark_conf.submit_command())
    assert "s3cret-pw" not in cmd and "spark.cassandra.auth.password=$LAB_CASSANDRA_PASSWORD" in cmd


def test_rss_of_a_process_tree_counts_each_child_once_and_a_fork_twin_not_at_all():
    import os
    import subprocess
    import sys

    from lab.services.process import rss_bytes, tree_rss_kb

    alone = rss_bytes(os.getpid())
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; b = bytearray(64 << 20); sys.stdout.write('ok\\n'); sys.stdout.flush(); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert child.stdout.readline() == b"ok\n"
        assert rss_bytes(os.getpid()) - alone >= 64 << 20, "the child's 64 MiB belong to the tree"
    finally:
        child.communicate(b"")
    # the rule, on a made-up tree: a JVM (1), a twin between fork and exec (2, same sizes), a real child (3)
    kids, sizes = {1: [2, 3], 3: [4]}, {1: (5000, 1200), 2: (5000, 1200), 3: (900, 300), 4: (900, 300)}
    assert tree_rss_kb(1, kids, sizes.get) == 1200 + 300
    assert tree_rss_kb(1, {1: [3]}, sizes.get) == 1500 and tree_rss_kb(3, {}, sizes.get) == 300


def test_start_on_kind_passes_the_timeout_and_returns_no_pid(monkeypatch):
    """On kind a service's start() deploys it through lab.kube within the caller's timeout; there is no local pid."""
    from lab.deploy import kube

    calls = []
    monkeypatch.setattr(kube, "up", lambda names, timeout: calls.append((names, timeout)) or names)
    config.use("kind")
    try:
        assert kafka.start(timeout=7) is None
        assert cassandra.start(timeout=9) is None
    finally:
        config.use("local")
    assert calls == [(["kafka"], 7), (["cassandra"], 9)]


def test_windows_table_is_the_one_reader_setting(monkeypatch):
    """Fails when readers cannot be switched to v2 with LAB_WINDOWS_TABLE, or when a typo is silently accepted."""
    monkeypatch.delenv(config.WINDOWS_TABLE_ENV, raising=False)
    assert config.windows_table() == "zone_windows"
    monkeypatch.setenv(config.WINDOWS_TABLE_ENV, "zone_windows_v2")
    assert config.windows_table() == "zone_windows_v2"
    monkeypatch.setenv(config.WINDOWS_TABLE_ENV, "zone_windows_v3")
    with pytest.raises(LabError, match="zone_windows_v3"):
        config.windows_table()
    monkeypatch.delenv(config.WINDOWS_TABLE_ENV)
    assert config.use_windows_table("zone_windows_v2") == "zone_windows_v2" == config.windows_table()
    with pytest.raises(LabError):
        config.use_windows_table("nope")
    assert config.windows_table() == "zone_windows_v2", "a refused switch must keep the previous setting"
    config.use_windows_table("zone_windows")


def test_readers_follow_the_windows_table_setting(monkeypatch):
    """Fails when the load test's reader or the v2 chart reads a hard-coded table instead of the setting."""
    import pandas as pd

    from lab.lessons import loadtest
    from lab.observe import charts
    from lab.pipeline import tables

    read = []
    rows = pd.DataFrame(
        {
            "window_start": pd.to_datetime(["2021-01-05 10:00"]),
            "trips": [3],
            "written_at": pd.to_datetime(["2021-01-05 10:11"], utc=True),
            "last_kafka_ts": pd.to_datetime(["2021-01-05 10:10"], utc=True),
        }
    )
    monkeypatch.setattr(tables, "read", lambda table, session=None: read.append(table) or rows)
    monkeypatch.setenv(config.WINDOWS_TABLE_ENV, "zone_windows_v2")
    assert "zone_windows_v2" in tables.TABLES
    loadtest.written_since(pd.Timestamp(0, tz="UTC"))
    fig = charts.windows_per_hour()
    assert read == ["zone_windows_v2", "zone_windows_v2"] and "zone_windows_v2" in fig.layout.title.text


@pytest.mark.skipif(not shutil.which("prlimit"), reason="prlimit (util-linux) is not on this machine")
def test_a_command_without_memory_lock_keeps_its_argv_and_pid_and_cannot_lock():
    from lab.services.process import MEMLOCK_BYTES, without_memory_lock

    argv = without_memory_lock(["sh", "-c", "echo $$; grep -E '^CapEff' /proc/self/status; ulimit -l"])
    assert argv[-3:] == ["sh", "-c", "echo $$; grep -E '^CapEff' /proc/self/status; ulimit -l"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    out = proc.communicate(timeout=10)[0].split()
    assert int(out[0]) == proc.pid, "the wrappers must exec the command: the pid file holds the service's pid"
    assert int(out[2], 16) & (1 << 14) == 0, "CAP_IPC_LOCK left: a root Cassandra would lock its memory"
    assert int(out[3]) == MEMLOCK_BYTES // 1024


def test_without_memory_lock_is_the_command_itself_where_the_tools_are_missing(monkeypatch):
    from lab.services import process

    monkeypatch.setattr(process.shutil, "which", lambda name: None)
    assert process.without_memory_lock(["java", "-version"]) == ["java", "-version"]
