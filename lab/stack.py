"""The whole stack: start, stop and inspect Kafka, the registry, Cassandra and Prometheus in dependency order."""
from __future__ import annotations

import importlib
import shutil
import time
from types import ModuleType

from . import config
from .errors import LabError

SERVICES = ("kafka", "schema_registry", "cassandra", "prometheus")
DEPENDS_ON = {"schema_registry": ("kafka",)}   # KafkaSQL: the registry keeps its schemas in a Kafka topic
ALIASES = {"registry": "schema_registry", "schema-registry": "schema_registry", "apicurio": "schema_registry"}


def kind_driver() -> ModuleType:
    """The kind target's driver module `lab.kube` (up/down/wait_ready/status by service name)."""
    try:
        return importlib.import_module("lab.kube")
    except ModuleNotFoundError as exc:
        if exc.name == "lab.kube":
            raise LabError("kind target: lab/kube.py not built yet") from exc
        raise


def service(name: str) -> ModuleType:
    """The module of one service (lab.kafka, lab.schema_registry, lab.cassandra, lab.prometheus)."""
    name = ALIASES.get(name, name)
    if name not in SERVICES:
        raise LabError(f"unknown service {name!r}: choose from {', '.join(SERVICES)}")
    return importlib.import_module(f"lab.{name}")


def _select(names, with_deps: bool) -> list[str]:
    wanted = {ALIASES.get(n, n) for n in (names or SERVICES)}
    for n in wanted:
        service(n)
    if with_deps:
        wanted |= {d for n in list(wanted) for d in DEPENDS_ON.get(n, ())}
    else:  # stopping a service also stops what depends on it
        wanted |= {n for n, deps in DEPENDS_ON.items() if wanted & set(deps)}
    return [n for n in SERVICES if n in wanted]


def up(names: list[str] | None = None, progress=None) -> list[dict]:
    """Start the named services (default: all) and their dependencies, one after another, each until ready.

    Already running and ready services are left alone, so calling `up` twice is a no-op. Returns one
    dict per service: name, pid, started (False when it was already up) and seconds to ready.
    Raises ToolMissing, PortInUse, ServiceStartError or ServiceNotReady naming the service.
    """
    if config.target() == "kind":  # one apply of the whole overlay (incl. Grafana, Spark, producer), then waits
        t0 = time.monotonic()
        done = kind_driver().up([ALIASES.get(n, n) for n in names] if names else None)
        if progress:
            progress(f"kind: {', '.join(done)} ready in {time.monotonic() - t0:.0f}s")
        return [{"name": n, "pid": None, "started": True, "seconds": round(time.monotonic() - t0, 1)} for n in done]
    report = []
    for name in _select(names, with_deps=True):
        mod = service(name)
        was_up = config.target() == "local" and mod.process().running() and mod.ready()
        t0 = time.monotonic()
        pid = mod.start()
        row = {"name": name, "pid": pid, "started": not was_up, "seconds": round(time.monotonic() - t0, 1)}
        report.append(row)
        if progress:
            verb = "already up" if was_up else f"ready in {row['seconds']:.1f}s"
            progress(f"{name:16} {verb}" + (f" (pid {pid})" if isinstance(pid, int) else ""))
    return report


def down(names: list[str] | None = None, purge: bool = False, progress=None) -> list[str]:
    """Stop the named services (default: all) that the lab started, in reverse order; returns those stopped.

    Stopping Kafka also stops the registry (its storage). `purge=True` deletes their data folders too.
    On kind, `down` deletes the whole cluster (one service cannot be stopped alone).
    """
    if config.target() == "kind":
        if names:
            raise LabError("kind target: `lab down` deletes the whole cluster; one service cannot be stopped alone")
        return ["kind cluster"] if kind_driver().down() else []
    stopped = []
    for name in reversed(_select(names, with_deps=False)):
        mod = service(name)
        if mod.stop():
            stopped.append(name)
            if progress:
                progress(f"{name:16} stopped")
        folder = getattr(mod, "data_dir", None)
        if purge and config.target() == "local" and folder and folder().exists():
            shutil.rmtree(folder())
            if progress:
                progress(f"{name:16} data deleted ({folder()})")
    return stopped


def status(names: list[str] | None = None) -> list[dict]:
    """One dict per service: name, running, pid, ports, ready, rss (bytes); on kind, lab.kube's rows per object."""
    from .process import rss_bytes

    if config.target() == "kind":
        return kind_driver().status()
    rows = []
    for name in _select(names, with_deps=False):
        mod = service(name)
        proc = mod.process()
        pid = proc.pid()
        rows.append({"name": name, "running": pid is not None, "pid": pid, "ports": list(proc.ports),
                     "ready": bool(pid) and mod.ready(), "rss": rss_bytes(pid) if pid else 0})
    return rows


def endpoints() -> dict[str, str]:
    """Where clients reach each service on the selected target (what the getters return)."""
    from . import cassandra, kafka, prometheus, schema_registry

    return {"kafka": kafka.bootstrap_servers(), "schema_registry": schema_registry.registry_url(),
            "cassandra": f"{cassandra.contact_points()[0]}:{cassandra.cql_port()}",
            "prometheus": prometheus.prometheus_url()}


def logs(name: str, lines: int = 40) -> str:
    """The last `lines` lines of a service's log."""
    if config.target() == "kind":
        return kind_driver().logs(ALIASES.get(name, name), lines)
    return service(name).process().tail(lines)


# --- CLI ----------------------------------------------------------------------------------------
def _cmd_setup(args) -> int:
    from . import artifacts, prometheus, schema_registry

    artifacts.resolve_all([args.only] if args.only else None)
    print(f"java      {artifacts.java_bin()} (Java {config.JAVA_MAJOR}: Kafka, Cassandra, Spark)")
    if not args.only or args.only == "apicurio":
        print(f"java      {schema_registry.java_bin()} (Java {config.REGISTRY_JAVA_MIN}+: the registry)")
    print(f"mvn       {artifacts.mvn_bin()}")
    try:
        print(f"prometheus {prometheus.binary()}")
    except LabError as exc:
        print(f"warning: {exc}")
    print(f"jars in   {config.jars_dir()}")
    return 0


def _cmd_up(args) -> int:
    t0 = time.monotonic()
    report = up(args.services or None, progress=print)
    print(f"stack ready in {time.monotonic() - t0:.1f}s")
    urls = endpoints()
    for row in report:
        if row["name"] in urls:
            print(f"  {row['name']:16} {urls[row['name']]}")
    return 0


def _cmd_down(args) -> int:
    if not down(args.services or None, purge=args.purge, progress=print):
        print("nothing to stop")
    return 0


def _cmd_status(args) -> int:
    rows = status()
    if config.target() == "kind":
        for r in rows:
            print(f"{r['service']:16} {r['object']:40} {'ready' if r['ready'] else 'not ready':10} {r['status']}")
        return 0
    print(f"{'SERVICE':16} {'STATE':8} {'READY':6} {'PID':>8} {'RSS MiB':>8}  PORTS")
    for r in rows:
        state = "running" if r["running"] else "stopped"
        ready = "yes" if r["ready"] else "no"
        print(f"{r['name']:16} {state:8} {ready:6} {r['pid'] or '-':>8} {r['rss'] / 2**20:8.0f}  "
              f"{','.join(map(str, r['ports']))}")
    return 0


def _cmd_logs(args) -> int:
    print(logs(args.service, args.lines))
    return 0


def register(subparsers) -> None:
    """Add `lab setup`, `lab up`, `lab status`, `lab logs` and `lab down`."""
    names = list(SERVICES) + list(ALIASES)
    p = subparsers.add_parser("setup", help="resolve the JVM jars from Maven Central and check java/mvn (idempotent)")
    p.add_argument("--only", choices=["kafka", "cassandra", "spark", "agents", "apicurio"], help="one bundle only")
    p.set_defaults(func=_cmd_setup)
    p = subparsers.add_parser("up", help="start the local stack (or the named services) and wait until ready")
    p.add_argument("services", nargs="*", metavar="SERVICE", help=f"any of {', '.join(SERVICES)} (default: all)")
    p.set_defaults(func=_cmd_up)
    p = subparsers.add_parser("status", help="show which services run, are ready, and their memory")
    p.set_defaults(func=_cmd_status)
    p = subparsers.add_parser("logs", help="show the end of a service's log")
    p.add_argument("service", choices=names)
    p.add_argument("-n", "--lines", type=int, default=40)
    p.set_defaults(func=_cmd_logs)
    p = subparsers.add_parser("down", help="stop the services the lab started")
    p.add_argument("services", nargs="*", metavar="SERVICE", help=f"any of {', '.join(SERVICES)} (default: all)")
    p.add_argument("--purge", action="store_true", help="also delete their data (topics, tables, metrics)")
    p.set_defaults(func=_cmd_down)
