"""The target as an object (lab.services.target): selection, addresses, lifecycle and local-only features on both
targets (unit tests: nothing is started, lab.kube is faked where it would talk to a cluster)."""

from __future__ import annotations

import pytest

from lab import config
from lab.deploy import kube
from lab.errors import BackupError, LabError, ServiceNotReady
from lab.services import cassandra, kafka, prometheus, schema_registry, stack, target
from lab.services.service import Service


@pytest.fixture
def offset(tmp_path, monkeypatch):
    """Local ports shifted by 100, state in a temporary LAB_HOME."""
    monkeypatch.setenv("LAB_HOME", str(tmp_path))
    monkeypatch.setenv("LAB_PORT_OFFSET", "100")


@pytest.fixture
def on_kind(monkeypatch):
    """The kind target seen from the host (not in a pod); the autouse fixture of conftest returns to local."""
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    config.use("kind")
    return target.KIND


class FakeProc:
    """What Local needs of a LocalProcess, recording what it is asked."""

    def __init__(self, running: bool = False):
        self.calls, self._running = [], running

    def running(self) -> bool:
        return self._running

    def pid(self) -> int | None:
        return 4242 if self._running else None

    def check_ports(self) -> None:
        self.calls.append("check_ports")

    def spawn(self, argv, cwd=None) -> int:
        self.calls.append(("spawn", list(argv), cwd))
        self._running = True
        return 4242

    def tail(self, lines: int = 30) -> str:
        return ""

    def exit_reason(self) -> str | None:
        return None

    def stop(self, timeout: float = 30.0) -> bool:
        self.calls.append(("stop", timeout))
        return True


def test_current_follows_the_selected_name(monkeypatch):
    assert set(target._TARGETS) == set(config.TARGETS)
    assert target.current() is target.LOCAL and target.current().name == "local" and target.current().local
    config.use("kind")
    assert target.current() is target.KIND and target.current().name == "kind" and not target.current().local
    config.use("local")
    assert target.current() is target.LOCAL
    monkeypatch.setattr(config, "_current_target", "kind")  # what existing tests do to select kind
    assert isinstance(target.current(), target.Kind)


def test_local_addresses_are_todays_strings(offset):
    assert target.LOCAL.address("kafka") == kafka.bootstrap_servers() == "127.0.0.1:9192"
    assert target.LOCAL.address("schema_registry") == schema_registry.registry_url()
    assert schema_registry.registry_url() == "http://127.0.0.1:8181/apis/ccompat/v7"
    assert schema_registry.ready_url() == "http://127.0.0.1:9101/health/ready"
    assert schema_registry.ready_url() == schema_registry.management_url() + "/health/ready"
    assert cassandra.contact_points() == ["127.0.0.1"] and cassandra.cql_port() == 9142
    assert cassandra.credentials() == (None, None)
    assert prometheus.prometheus_url() == "http://127.0.0.1:9190"
    with pytest.raises(LabError, match="no address for 's3proxy'"):
        target.LOCAL.address("s3proxy")


def test_kind_addresses_come_from_kube_endpoint(on_kind, monkeypatch):
    asked = []
    fake = {
        "kafka": "10.0.0.1:9092",
        "schema_registry": "http://10.0.0.2:8080/apis/ccompat/v7",
        "cassandra": "10.0.0.3:9043",
        "prometheus": "http://10.0.0.4:9090",
    }
    monkeypatch.setattr(kube, "endpoint", lambda name: asked.append(name) or fake[name])
    assert kafka.bootstrap_servers() == "10.0.0.1:9092"
    assert schema_registry.registry_url() == "http://10.0.0.2:8080/apis/ccompat/v7"
    assert cassandra.contact_points() == ["10.0.0.3"] and cassandra.cql_port() == 9043
    assert prometheus.prometheus_url() == "http://10.0.0.4:9090"
    assert asked == ["kafka", "schema_registry", "cassandra", "cassandra", "prometheus"]


def test_kind_addresses_on_the_host_and_in_a_pod(on_kind, monkeypatch):
    assert stack.endpoints() == {  # no archive on kind
        "kafka": "127.0.0.1:32100",
        "schema_registry": "http://127.0.0.1:8081/apis/ccompat/v7",
        "cassandra": "127.0.0.1:9042",
        "prometheus": "http://127.0.0.1:9090",
    }
    assert schema_registry.ready_url() is None, "the management Service has no NodePort"
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    assert kafka.bootstrap_servers() == "lab-kafka-bootstrap:9092"
    assert cassandra.contact_points() == ["cassandra"] and cassandra.cql_port() == 9042
    assert schema_registry.ready_url() == "http://apicurio-registry-management:9000/health/ready"
    monkeypatch.setenv("LAB_CASSANDRA_USERNAME", "lab")
    monkeypatch.setenv("LAB_CASSANDRA_PASSWORD", "pw")
    assert cassandra.credentials() == ("lab", "pw")


def test_kind_lifecycle_delegates_to_kube_with_the_timeout(on_kind, monkeypatch):
    calls = []
    monkeypatch.setattr(kube, "up", lambda names, timeout: calls.append(("up", names, timeout)) or names)
    monkeypatch.setattr(kube, "wait_ready", lambda name, timeout: calls.append(("wait_ready", name, timeout)))
    monkeypatch.setattr(kube, "stop", lambda name, timeout: calls.append(("stop", name, timeout)) or True)
    assert prometheus.start(timeout=7) is None
    assert kafka.wait_ready(timeout=11) is None
    assert cassandra.stop() is True and schema_registry.stop() is True
    proc = FakeProc()
    assert FakeService(proc).stop(timeout=5) is True and proc.calls == [], "no local process is touched on kind"
    assert calls == [
        ("up", ["prometheus"], 7),
        ("wait_ready", "kafka", 11),
        ("stop", "cassandra", 60),
        ("stop", "schema_registry", 30),
        ("stop", "x", 5),
    ]


class FakeService(Service):
    """A service whose process is a FakeProc and whose probe counts its calls."""

    name, poll_interval, start_timeout = "x", 0.01, 0.5

    def __init__(self, proc: FakeProc):
        super().__init__()
        self.proc, self.probes = proc, []

    def process(self) -> FakeProc:
        return self.proc

    def launch(self, proc):
        return ["java", "-version"], None

    def probe(self) -> bool:
        self.probes.append(1)
        return True


def test_local_lifecycle_spawns_once_and_stops_the_process():
    proc = FakeProc()
    service = FakeService(proc)
    assert service.start(timeout=5) == 4242
    assert proc.calls == ["check_ports", ("spawn", ["java", "-version"], None)] and service.probes == [1]
    assert service.start(timeout=5) == 4242  # ours runs: no spawn
    assert len(proc.calls) == 2 and service.probes == [1, 1]
    assert service.stop(timeout=12) is True and proc.calls[-1] == ("stop", 12)


def test_a_service_started_with_with_is_stopped_after_and_when_its_start_fails():
    proc = FakeProc()
    with FakeService(proc) as service:
        assert service.ready() and proc.running()
    assert proc.calls[-1] == ("stop", 60.0)

    class Broken(FakeService):
        def probe(self):
            raise ConnectionError("port 1 not open yet")

    broken = Broken(FakeProc())
    with pytest.raises(ServiceNotReady, match="port 1 not open yet"):
        with broken:
            pass
    assert broken.proc.calls[-1] == ("stop", 60.0), "a failed start stops what it spawned"
    assert not broken.ready()


def test_require_local_raises_on_kind_with_the_message(on_kind):
    target.LOCAL.require_local("never raised")
    with pytest.raises(LabError, match="^only here; on kind do that$"):
        on_kind.require_local("only here; on kind do that")
    with pytest.raises(BackupError, match="nodetool"):
        on_kind.require_local("nodetool …", BackupError)


def test_local_only_features_say_so_on_kind(on_kind):
    from lab.lessons import kraft
    from lab.observe import alerts
    from lab.services import backup, connect, s3proxy

    with pytest.raises(LabError, match="the archive's object store runs on the local target only"):
        s3proxy.endpoint()
    with pytest.raises(LabError, match="the archive runs on the local target only; on kind add the optional component"):
        s3proxy.start()
    with pytest.raises(LabError, match="the archive runs on the local target only; on kind it is the optional"):
        connect.rest_url()
    with pytest.raises(BackupError, match="nodetool runs against the local node only"):
        backup.nodetool("status")
    with pytest.raises(LabError, match="set_intervals changes the local Prometheus only"):
        alerts.set_intervals()
    with pytest.raises(LabError, match="quorum_status\\(\\) runs Kafka's CLI from the local jars"):
        kraft.quorum_status()


def test_status_rows_have_the_same_keys_on_both_targets(on_kind, monkeypatch):
    monkeypatch.setattr(
        kube,
        "status",
        lambda: [
            {"service": "cassandra", "object": "StatefulSet/cassandra", "ready": False, "status": "0/1 ready"},
            {"service": "kafka", "object": "Kafka/lab", "ready": True, "status": "Ready"},
        ],
    )
    rows = stack.status()
    local_keys = set(stack._row("kafka", "process", True, True, "running", 1, (9092,)))
    assert [set(r) for r in rows] == [local_keys, local_keys]
    assert [(r["name"], r["object"], r["ready"], r["status"]) for r in rows] == [
        ("cassandra", "StatefulSet/cassandra", False, "0/1 ready"),
        ("kafka", "Kafka/lab", True, "Ready"),
    ]
    assert [r["name"] for r in stack.status(["registry", "kafka"])] == ["kafka"]


def test_the_notebooks_target_free_calls_on_kind(on_kind, monkeypatch):
    """What the notebooks call on both targets does the kind thing on kind (kube faked), never the local one."""
    from lab.lessons import kraft, monitoring, replay
    from lab.lessons.exercises import week08
    from lab.observe import alerts

    monkeypatch.setattr(prometheus, "reload", lambda *a: pytest.fail("the local Prometheus reloaded on kind"))
    assert "keeps its intervals" in alerts.fast()
    assert stack.down(["archive"]) == [] and stack.down(["connect"]) == []  # the archive does not run on kind
    with pytest.raises(LabError, match="deletes the whole cluster"):
        stack.down(["cassandra"])
    assert not on_kind.runs("connect") and on_kind.runs("kafka") and target.LOCAL.runs("connect")
    assert replay.forget_archived("t") == {}
    assert monitoring.lag_once_behind("lag").empty  # Prometheus on kind does not scrape this process
    monkeypatch.setattr(kube, "strimzi_resources", lambda: [{"kind": "Kafka", "ready": True}])
    assert kraft.quorum() == [{"kind": "Kafka", "ready": True}]
    stopped = []
    monkeypatch.setattr(kube, "stop_app", stopped.append)
    assert len(week08.idle_apps()) == 2 and stopped == ["producer", "spark"]  # the producer first


def test_the_notebooks_target_free_calls_on_local(monkeypatch):
    from lab.lessons import kraft
    from lab.lessons.exercises import week08
    from lab.observe import alerts

    reloads = []
    monkeypatch.setattr(prometheus, "reload", lambda *a: reloads.append(a))
    assert alerts.fast("2s") == "the local Prometheus scrapes and evaluates every 2s" and reloads == [("2s", "2s")]
    assert week08.idle_apps() == ["no in-cluster apps on this target"]
    monkeypatch.setattr(kraft, "quorum_status", lambda: {"LeaderId": 1})
    assert kraft.quorum() == [{"field": "LeaderId", "value": 1}]
