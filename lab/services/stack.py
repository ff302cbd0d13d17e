"""The whole stack: start, stop and inspect Kafka, the registry, Cassandra and Prometheus in dependency order."""

from __future__ import annotations

import shutil
import time
from types import ModuleType

from lab import config
from lab.deploy import kube
from lab.errors import LabError
from lab.services import cassandra, connect, kafka, prometheus, s3proxy, schema_registry, target
from lab.services.process import rss_bytes

ON_DEMAND = config.ON_DEMAND_SERVICES
ALL = (*config.LOCAL_STACK, *ON_DEMAND)  # start order; stop order is the reverse
DEPENDS_ON = {
    "schema_registry": ("kafka",),  # KafkaSQL: the registry keeps its schemas in a Kafka topic
    "connect": ("kafka", "s3proxy"),
}  # the archive connector reads Kafka and writes to the object store
ALIASES = {
    "registry": "schema_registry",
    "schema-registry": "schema_registry",
    "apicurio": "schema_registry",
    "object-store": "s3proxy",
    "kafka-connect": "connect",
}
GROUPS = {"archive": ("s3proxy", "connect")}


def service(name: str) -> ModuleType:
    """The module of one service (lab.kafka, lab.schema_registry, lab.cassandra, lab.prometheus, lab.s3proxy, …)."""
    name = ALIASES.get(name, name)
    if name not in ALL:
        raise LabError(f"unknown service {name!r}: choose from {', '.join(ALL)} or {', '.join(GROUPS)}")
    return {
        "kafka": kafka,
        "schema_registry": schema_registry,
        "cassandra": cassandra,
        "prometheus": prometheus,
        "s3proxy": s3proxy,
        "connect": connect,
    }[name]


def _select(names, with_deps: bool) -> list[str]:
    wanted = {ALIASES.get(n, n) for g in (names or config.LOCAL_STACK) for n in GROUPS.get(g, (g,))}
    for n in wanted:
        service(n)
    if with_deps:
        while True:  # dependencies of dependencies too
            more = {d for n in wanted for d in DEPENDS_ON.get(n, ())} - wanted
            if not more:
                break
            wanted |= more
    else:  # stopping a service also stops what depends on it
        wanted |= {n for n, deps in DEPENDS_ON.items() if wanted & set(deps)}
    return [n for n in ALL if n in wanted]


def _running_on_demand() -> list[str]:
    """The on-demand services of this stack that run now (`lab down` and `lab status` include them)."""
    return [n for n in ON_DEMAND if service(n).process().running()]


class LocalStack:
    """The stack as processes of this machine: each service started, stopped and inspected on its own."""

    def up(self, names: list[str] | None, progress) -> list[dict]:
        report = []
        for name in _select(names, with_deps=True):
            mod = service(name)
            was_up = mod.process().running() and mod.ready()
            t0 = time.monotonic()
            pid = mod.start()
            row = {"name": name, "pid": pid, "started": not was_up, "seconds": round(time.monotonic() - t0, 1)}
            report.append(row)
            if progress:
                verb = "already up" if was_up else f"ready in {row['seconds']:.1f}s"
                progress(f"{name:16} {verb}" + (f" (pid {pid})" if isinstance(pid, int) else ""))
        return report

    def down(self, names: list[str] | None, purge: bool, progress) -> list[str]:
        stopped = []
        for name in reversed(_select(names or [*config.LOCAL_STACK, *_running_on_demand()], with_deps=False)):
            mod = service(name)
            if mod.stop():
                stopped.append(name)
                if progress:
                    progress(f"{name:16} stopped")
            folder = getattr(mod, "data_dir", None)
            if purge and folder and folder().exists():
                shutil.rmtree(folder())
                if progress:
                    progress(f"{name:16} data deleted ({folder()})")
        return stopped

    def status(self, names: list[str] | None) -> list[dict]:
        rows = []
        for name in _select(names, with_deps=False) if names else [*config.LOCAL_STACK, *_running_on_demand()]:
            mod = service(name)
            proc = mod.process()
            pid = proc.pid()
            ready = bool(pid) and mod.ready()
            rows.append(
                _row(name, "process", pid is not None, ready, "running" if pid else "stopped", pid, list(proc.ports))
                | {"rss": rss_bytes(pid) if pid else 0}
            )
        return rows

    def endpoints(self) -> dict[str, str]:
        return {"s3proxy": s3proxy.endpoint(), "connect": connect.rest_url()}

    def logs(self, name: str, lines: int) -> str:
        return service(name).process().tail(lines)


class KindStack:
    """The stack as the kind cluster: one apply of the whole overlay, one delete of the cluster, rows per object."""

    def up(self, names: list[str] | None, progress) -> list[dict]:
        """One apply of the whole overlay (incl. Grafana, Spark, producer), then the readiness waits."""
        if names and set(names) & {*ON_DEMAND, *GROUPS, *(a for a, n in ALIASES.items() if n in ON_DEMAND)}:
            raise LabError(
                "the archive (s3proxy, connect) runs on the local target only; on kind it is the "
                "optional component k8s/components/archive"
            )
        t0 = time.monotonic()
        if progress and not names:
            for name, why in kube.skipped().items():
                progress(f"kind: skipping {name}: {why}")
        done = kube.up([ALIASES.get(n, n) for n in names] if names else None)
        if progress:
            progress(f"kind: {', '.join(done)} ready in {time.monotonic() - t0:.0f}s")
        return [{"name": n, "pid": None, "started": True, "seconds": round(time.monotonic() - t0, 1)} for n in done]

    def down(self, names: list[str] | None, purge: bool, progress) -> list[str]:
        if names and all(not target.KIND.runs(n) for g in names for n in GROUPS.get(g, (ALIASES.get(g, g),))):
            return []  # the archive's services do not run on kind: nothing to stop
        if names:
            raise LabError("kind target: `lab down` deletes the whole cluster; one service cannot be stopped alone")
        return ["kind cluster"] if kube.down() else []

    def status(self, names: list[str] | None) -> list[dict]:
        rows = kube.status()
        wanted = {ALIASES.get(n, n) for n in names or ()}
        return [
            _row(r["service"], r["object"], True, r["ready"], r["status"])
            for r in rows
            if not wanted or r["service"] in wanted
        ]

    def endpoints(self) -> dict[str, str]:
        return {}  # no archive on kind

    def logs(self, name: str, lines: int) -> str:
        return kube.logs(ALIASES.get(name, name), lines)


STACKS = {"local": LocalStack(), "kind": KindStack()}


def _row(name, obj, running, ready, state, pid=None, ports=()) -> dict:
    """One status row, the same keys on both targets (a local process, or one Kubernetes object)."""
    return {
        "name": name,
        "object": obj,
        "running": running,
        "ready": ready,
        "status": state,
        "pid": pid,
        "ports": list(ports),
        "rss": 0,
    }


def current() -> LocalStack | KindStack:
    """The whole-stack operations of the selected target."""
    return STACKS[target.current().name]


def up(names: list[str] | None = None, progress=None) -> list[dict]:
    """Start the named services (default: all) and their dependencies, one after another, each until ready.

    Already running and ready services are left alone, so calling `up` twice is a no-op. Returns one
    dict per service: name, pid, started (False when it was already up) and seconds to ready.
    Raises ToolMissing, PortInUse, ServiceStartError or ServiceNotReady naming the service.
    On kind: one apply of the whole overlay, then every object's readiness.
    """
    return current().up(names, progress)


def down(names: list[str] | None = None, purge: bool = False, progress=None) -> list[str]:
    """Stop the named services (default: all) that the lab started, in reverse order; returns those stopped.

    Stopping Kafka also stops the registry (its storage). `purge=True` deletes their data folders too.
    On kind, `down` deletes the whole cluster (one service cannot be stopped alone).
    """
    return current().down(names, purge, progress)


def status(names: list[str] | None = None) -> list[dict]:
    """One dict per local process or kind object: name, object, running, ready, status, pid, ports, rss (bytes)."""
    return current().status(names)


def endpoints() -> dict[str, str]:
    """Where clients reach each service on the selected target (what the getters return)."""
    urls = {
        "kafka": kafka.bootstrap_servers(),
        "schema_registry": schema_registry.registry_url(),
        "cassandra": f"{cassandra.contact_points()[0]}:{cassandra.cql_port()}",
        "prometheus": prometheus.prometheus_url(),
    }
    return urls | current().endpoints()


def logs(name: str, lines: int = 40) -> str:
    """The last `lines` lines of a service's log (on kind: of each of its pods)."""
    return current().logs(name, lines)
