"""The selected target as an object: what differs between the local processes and the kind cluster.

config keeps the selected name (`lab.use("kind")`, env LAB_TARGET, papermill's `target` parameter); `current()`
returns the object for it. Services call it for their lifecycle (start, wait_ready, stop), their addresses and the
checks of local-only features, so no service module branches on the target's name.

>>> current().name in config.TARGETS, LOCAL.local, KIND.local
(True, True, False)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lab import config
from lab.deploy import kube
from lab.errors import LabError
from lab.wait import until

if TYPE_CHECKING:  # the services import this module; their base class is only named here
    from lab.services.service import Service

ADDRESSED = ("kafka", "schema_registry", "cassandra", "prometheus")  # the services both targets give an address for


class Target:
    """One target: the lifecycle of a service on it, where clients reach the services, what it cannot do."""

    name: str = ""
    local: bool = False  # True when the services are processes on this machine (the local-only features work)
    scrapes_this_process: bool = False  # Prometheus scrapes the exporters of this Python process (a notebook's query)
    apps: tuple[str, ...] = ()  # the lab's own apps deployed beside the services (lab.kube.start_app / stop_app)

    def __repr__(self) -> str:
        return f"<target {self.name}>"

    def start(self, service: Service, timeout: float) -> int | None:
        """Start `service` and wait until it is ready, within `timeout`; returns its pid (None: no local pid)."""
        raise NotImplementedError

    def wait_ready(self, service: Service, timeout: float) -> None:
        """Wait until `service` is ready, within `timeout` (ServiceNotReady, or the target's error, when not)."""
        raise NotImplementedError

    def stop(self, service: Service, timeout: float) -> bool:
        """Stop `service` within `timeout`; True when something was stopped."""
        raise NotImplementedError

    def address(self, service: str) -> str:
        """Where a client reaches `service` (one of ADDRESSED): Kafka's bootstrap servers, the registry's
        Confluent-compatible API root, Cassandra's host:port, Prometheus's HTTP root."""
        if service not in ADDRESSED:
            raise LabError(f"no address for {service!r}: the targets give one for {', '.join(ADDRESSED)}")
        return self._address(service)

    def _address(self, service: str) -> str:
        raise NotImplementedError

    def registry_ready_url(self) -> str | None:
        """The registry's /health/ready where this process can reach it, else None."""
        raise NotImplementedError

    def cassandra_credentials(self) -> tuple[str | None, str | None]:
        """(user, password) of the lab's Cassandra role, (None, None) when Cassandra asks for none."""
        raise NotImplementedError

    def runs(self, service: str) -> bool:
        """Whether this target runs `service` (the archive's on-demand services run on the local target only)."""
        return self.local or service not in config.ON_DEMAND_SERVICES

    def require_local(self, message: str, error: type[LabError] = LabError) -> None:
        """Raise `error(message)` unless this is the local target (`message` says what to use instead)."""
        if not self.local:
            raise error(message)


class Local(Target):
    """The services as processes of this machine (lab.services.process), on config.ports()."""

    name = "local"
    local = True
    scrapes_this_process = True  # config.ports()'s metrics ports on 127.0.0.1 are in prometheus.yml

    def start(self, service: Service, timeout: float) -> int | None:
        """When ours runs: the readiness wait and `service.refresh()`; else check the ports, spawn
        `service.launch(proc)` and wait for its probe. Returns the pid."""
        proc = service.process()
        if proc.running():
            self.wait_ready(service, timeout)
            service.refresh()
            return proc.pid()
        proc.check_ports()
        argv, cwd = service.launch(proc)
        pid = proc.spawn(argv, cwd=cwd)
        self.wait_ready(service, timeout)
        return pid

    def wait_ready(self, service: Service, timeout: float) -> None:
        """Poll the service's probe: ServiceStartError (with the log tail) if the process dies, ServiceNotReady on
        timeout."""
        proc = service.process()
        until(
            service.probe,
            service=service.name,
            timeout=timeout,
            interval=service.poll_interval,
            log_tail=proc.tail,
            alive=proc.exit_reason,
        )

    def stop(self, service: Service, timeout: float) -> bool:
        """Our process: SIGTERM, then SIGKILL after `timeout`."""
        return service.process().stop(timeout=timeout)

    def _address(self, service: str) -> str:
        p = config.ports()
        return {
            "kafka": f"127.0.0.1:{p.kafka}",
            "schema_registry": f"http://127.0.0.1:{p.registry}{config.REGISTRY_CCOMPAT_PATH}",
            "cassandra": f"127.0.0.1:{p.cassandra_cql}",
            "prometheus": f"http://127.0.0.1:{p.prometheus}",
        }[service]

    def registry_ready_url(self) -> str:
        """On the registry's Quarkus management port."""
        return f"http://127.0.0.1:{config.ports().registry_management}/health/ready"

    def cassandra_credentials(self) -> tuple[None, None]:
        """None: the local node runs the AllowAllAuthenticator."""
        return None, None


class Kind(Target):
    """The services in the kind cluster, driven through lab.deploy.kube."""

    name = "kind"
    local = False
    apps = ("spark", "producer")  # deployed idle; the cluster's Prometheus scrapes them, not this process

    def start(self, service: Service, timeout: float) -> None:
        """Deploy the service and wait for it (lab.kube.up) within `timeout`; no local pid."""
        kube.up([service.name], timeout=timeout)
        return None

    def wait_ready(self, service: Service, timeout: float) -> None:
        """Wait until every object of the service is ready (lab.kube.wait_ready), each within `timeout`."""
        kube.wait_ready(service.name, timeout)

    def stop(self, service: Service, timeout: float) -> bool:
        """Scale its Deployment or StatefulSet to 0 (lab.kube.stop); Kafka only goes with the cluster."""
        return kube.stop(service.name, timeout=timeout)

    def _address(self, service: str) -> str:
        return kube.endpoint(service)

    def registry_ready_url(self) -> str | None:
        """Only inside the cluster: the management Service has no NodePort."""
        return f"http://{config.KIND_SERVICES['registry_management']}/health/ready" if kube.in_cluster() else None

    def cassandra_credentials(self) -> tuple[str, str]:
        """The role the schema Job creates (lab.kube.cassandra_credentials)."""
        return kube.cassandra_credentials()


LOCAL, KIND = Local(), Kind()
_TARGETS = {t.name: t for t in (LOCAL, KIND)}


def current() -> Target:
    """The object of the selected target (config.target(): `lab.use(...)`, env LAB_TARGET)."""
    return _TARGETS[config.target()]
