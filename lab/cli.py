"""The `lab` command: every subcommand in one place; each is a thin call into the layer that does the work."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
import time

from lab import config
from lab.errors import LabError

TARGETS = ["local", "kind"]


# --- the local stack: setup, up, status, logs, down ---------------------------------------------------------------


def _setup(args) -> int:
    from lab.services import artifacts, prometheus, schema_registry

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


def _up(args) -> int:
    from lab.services import stack

    t0 = time.monotonic()
    report = stack.up(args.services or None, progress=print)
    print(f"stack ready in {time.monotonic() - t0:.1f}s")
    urls = stack.endpoints()
    for row in report:
        if row["name"] in urls:
            print(f"  {row['name']:16} {urls[row['name']]}")
    return 0


def _down(args) -> int:
    from lab.services import stack

    if not stack.down(args.services or None, purge=args.purge, progress=print):
        print("nothing to stop")
    return 0


def _status(args) -> int:
    from lab.services import stack

    rows = stack.status()
    print(f"{'SERVICE':16} {'OBJECT':32} {'READY':6} {'PID':>8} {'RSS MiB':>8}  {'PORTS':20} STATE")
    for r in rows:
        ready = "yes" if r["ready"] else "no"
        print(
            f"{r['name']:16} {r['object']:32} {ready:6} {r['pid'] or '-':>8} {r['rss'] / 2**20:8.0f}  "
            f"{','.join(map(str, r['ports'])) or '-':20} {r['status']}"
        )
    return 0


def _logs(args) -> int:
    from lab.services import stack

    print(stack.logs(args.service, args.lines))
    return 0


def _add_stack(sub) -> None:
    from lab.services import artifacts
    from lab.services.stack import ALIASES, ALL, GROUPS

    p = sub.add_parser("setup", help="resolve the JVM jars from Maven Central and check java/mvn (idempotent)")
    p.add_argument("--only", choices=list(artifacts.BUNDLES), help="one bundle only")
    p.set_defaults(func=_setup)
    p = sub.add_parser("up", help="start the local stack (or the named services) and wait until ready")
    p.add_argument(
        "services",
        nargs="*",
        metavar="SERVICE",
        help=f"any of {', '.join(ALL)}, or {', '.join(GROUPS)} (s3proxy + connect, started only when "
        f"named) (default: {', '.join(config.LOCAL_STACK)})",
    )
    p.set_defaults(func=_up)
    p = sub.add_parser("status", help="show which services run, are ready, and their memory")
    p.set_defaults(func=_status)
    p = sub.add_parser("logs", help="show the end of a service's log")
    p.add_argument("service", choices=list(ALL) + list(ALIASES))
    p.add_argument("-n", "--lines", type=int, default=40)
    p.set_defaults(func=_logs)
    p = sub.add_parser("down", help="stop the services the lab started")
    p.add_argument(
        "services",
        nargs="*",
        metavar="SERVICE",
        help=f"any of {', '.join(ALL)} or {', '.join(GROUPS)} (default: all that run)",
    )
    p.add_argument("--purge", action="store_true", help="also delete their data (topics, tables, metrics)")
    p.set_defaults(func=_down)


# --- Cassandra backup and restore (local node) ----------------------------------------------------------------


def _backup(args) -> int:
    from lab.services import backup

    if args.list:
        names = backup.list_backups()
        print("\n".join(names) if names else f"no backups in {backup.backups_dir()}")
        return 0
    b = backup.backup(args.name, keyspace=args.keyspace)
    print(f"backup {b.name}: {len(b.tables)} tables of {b.keyspace}, {b.files()} SSTable files in {b.folder}")
    return 0


def _restore(args) -> int:
    from lab.services import backup

    for table, files in backup.restore(args.name, args.tables or None).items():
        print(f"restored {table:16} {files} SSTable(s) imported")
    return 0


def _add_backup(sub) -> None:
    p = sub.add_parser("backup", help="snapshot the Cassandra keyspace (nodetool) into <LAB_HOME>/backups/NAME")
    p.add_argument("name", nargs="?", default=None, help="backup name (default: the UTC time, YYYYMMDD-HHMMSS)")
    p.add_argument("--keyspace", default=config.KEYSPACE)
    p.add_argument("--list", action="store_true", help="list the backups and exit")
    p.set_defaults(func=_backup)
    p = sub.add_parser("restore", help="restore a backup's tables (recreated if dropped) with nodetool import")
    p.add_argument("name", help="a backup name (see `lab backup --list`)")
    p.add_argument("tables", nargs="*", help="tables to restore (default: all in the backup)")
    p.set_defaults(func=_restore)


# --- the pipeline: produce, stream -----------------------------------------------------------------------------


def _produce(args) -> int:
    from lab.pipeline import produce

    report = produce.produce(
        args.service,
        args.month,
        limit=args.limit,
        scale=args.scale,
        speedup=args.speedup,
        shift_to_now=args.now,
        base_url=args.base_url,
        topic=args.topic,
        dlq=args.dlq,
        schema=args.schema,
        check=False,
    )
    print(report)
    report.check()
    print("accounting OK: every row delivered or in the DLQ")
    return 0


def _add_produce(sub) -> None:
    from lab.pipeline import schemas

    p = sub.add_parser("produce", help="produce a TLC month to Kafka as Avro (rejected rows → DLQ)")
    p.add_argument("--service", default="yellow", choices=config.TLC_SERVICES)
    p.add_argument("--month", default="2021-01", help="YYYY-MM")
    p.add_argument("--limit", type=int, default=None, help="read only the first N rows")
    p.add_argument(
        "--speedup", type=float, default=None, help="replay in event time N× faster (default: as fast as possible)"
    )
    p.add_argument("--now", action="store_true", help="with --speedup: shift timestamps so the month replays as if now")
    p.add_argument("--scale", type=int, default=1, help="SYNTHETIC: send N time-shifted copies of every row")
    p.add_argument(
        "--schema", default=schemas.V1, choices=[schemas.V1, schemas.V2], help="value schema (v2 adds trip_type)"
    )
    p.add_argument("--topic", default=config.TRIPS_TOPIC)
    p.add_argument("--dlq", default=config.DLQ_TOPIC)
    p.add_argument("--base-url", default=None, help="TLC base URL (default: env LAB_TLC_BASE_URL or the TLC site)")
    p.set_defaults(func=_produce)


def _stream(args) -> int:
    from lab.observe import metrics
    from lab.pipeline import stream, tables
    from lab.services import spark as lab_spark

    if args.print_submit:
        argv = [a for a in sys.argv[1:] if a not in ("stream", "--print-submit")]
        print(" ".join(lab_spark.submit_command(argv)))
        return 0
    job = job_from_args(args)
    if not _topic_there(job.topic, args.timeout or 3600):
        return 0  # Ctrl-C while waiting
    if args.reset:
        stream.reset(job)
    tables.apply()
    spark = lab_spark.start(**({"spark.ui.enabled": "false"} if args.no_ui else {}))
    print(f"metrics at {metrics.attach(spark)}", flush=True)  # progress listener → Prometheus gauges
    running = stream.start(job, spark)
    print(
        f"streaming {job.topic} → Cassandra {config.KEYSPACE}: queries {', '.join(running.queries)}, "
        f"trigger {job.trigger}, checkpoint {job.checkpoint_location(job.name)}",
        flush=True,
    )
    with _ctrl_c() as asked:
        try:
            if job.trigger in ("availableNow", "once"):
                _wait(running, asked, args.timeout or 3600, bounded=True)
            else:
                _wait(running, asked, args.timeout, bounded=False)
        finally:
            batch = (running.windows.lastProgress or {}).get("batchId")
            running.stop()
            lab_spark.stop()
    if asked.is_set():
        at = f"after batch {batch}" if batch is not None else "before its first batch"
        print(
            f"lab stream: stopped on Ctrl-C {at} of query {job.name}; its checkpoint keeps the place: "
            f"`lab stream --name {job.name} --topic {job.topic}` resumes from there",
            file=sys.stderr,
        )
    return 0


def job_from_args(args):
    """The Job that `lab stream` runs with these (argparse) arguments."""
    from lab.pipeline.stream import Job

    return Job(
        topic=args.topic,
        window=args.window,
        watermark=args.watermark,
        trigger=args.trigger,
        starting_offsets=args.starting_offsets,
        max_offsets_per_trigger=args.max_offsets_per_trigger,
        name=args.name,
        checkpoint_root=args.checkpoint_root,
        base_url=args.base_url,
        allow_data_loss=args.allow_data_loss,
        source_tasks=args.source_tasks or None,
    )


def _topic_there(topic: str, timeout: float) -> bool:
    """Wait (one line, then quietly) until `topic` exists; False on Ctrl-C, LabError after `timeout` seconds."""
    from lab.pipeline import topics

    if topics.partitions_of(topic):
        return True
    print(
        f"lab stream: waiting for topic {topic} to be created (`lab produce --topic {topic}` creates it; Ctrl-C stops)",
        file=sys.stderr,
        flush=True,
    )
    deadline = time.monotonic() + timeout
    with _ctrl_c() as asked:
        while not asked.wait(1.0):
            if topics.partitions_of(topic):
                return True
            if time.monotonic() > deadline:
                raise LabError(f"topic {topic} still does not exist after {timeout:.0f}s: produce to it first")
    return False


@contextlib.contextmanager
def _ctrl_c():
    """Ctrl-C sets the yielded Event instead of raising inside a py4j call (a Py4J traceback, a failed query)."""
    asked = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: asked.set())
    try:
        yield asked
    finally:
        signal.signal(signal.SIGINT, previous)


def _wait(running, asked: threading.Event, timeout: float | None, bounded: bool) -> None:
    """Wait in 1-s steps until the windows query ends, `timeout` passes or Ctrl-C is asked; StreamError if it died.

    `bounded` (availableNow/once): the query must end within `timeout`.
    """
    from lab.pipeline import running as live

    deadline = None if timeout is None else time.monotonic() + timeout
    while not asked.is_set():
        left = 1.0 if deadline is None else min(1.0, deadline - time.monotonic())
        if left <= 0:
            if bounded:
                raise LabError(
                    f"streaming query {running.job.name} still running after {timeout:.0f}s "
                    f"(trigger {running.job.trigger!r}); last progress: {running.windows.lastProgress}"
                )
            return
        try:
            if running.windows.awaitTermination(left):
                break
        except Exception as exc:  # noqa: BLE001 - StreamingQueryException: the lab's error says what to do
            raise live.failure(running.job.name, running.job.topic, exc) from exc
    if not asked.is_set():
        running.await_done(60) if bounded else running.check()


def _add_stream(sub) -> None:
    from lab.pipeline.stream import Job

    d = Job()
    p = sub.add_parser("stream", help="run the Spark streaming job (Kafka → windows → Cassandra)")
    p.add_argument("--topic", default=d.topic)
    p.add_argument("--window", default=d.window, help=f"tumbling window length (default {d.window!r})")
    p.add_argument("--watermark", default=d.watermark, help=f"allowed lateness (default {d.watermark!r})")
    p.add_argument("--trigger", default=d.trigger, help="processing-time interval, 'availableNow' or 'once'")
    p.add_argument("--starting-offsets", default=d.starting_offsets, choices=["earliest", "latest"])
    p.add_argument(
        "--max-offsets-per-trigger",
        type=int,
        default=d.max_offsets_per_trigger,
        help=f"records per micro-batch at most (default {d.max_offsets_per_trigger:,})",
    )
    p.add_argument("--name", default=d.name, help="query name (checkpoints are per name)")
    p.add_argument("--checkpoint-root", default=None, help="default <LAB_HOME>/checkpoints, or s3a://bucket/path")
    p.add_argument(
        "--source-tasks",
        type=int,
        default=d.source_tasks,
        help=f"Spark tasks reading Kafka per micro-batch (default {d.source_tasks}: the cores of local[2]; "
        "on a cluster, the executors' cores; 0: one per Kafka partition)",
    )
    p.add_argument("--reset", action="store_true", help="delete the checkpoints first")
    p.add_argument(
        "--allow-data-loss",
        action="store_true",
        help="go on past offsets that are gone (deleted/recreated topic, retention): skipped and counted",
    )
    p.add_argument("--no-ui", action="store_true", help="no Spark UI (lets a second driver run beside a notebook's)")
    p.add_argument("--timeout", type=float, default=None, help="stop after this many seconds")
    p.add_argument(
        "--base-url",
        default=None,
        help="TLC base URL of the zone lookup (default: env LAB_TLC_BASE_URL or the TLC site)",
    )
    p.add_argument("--print-submit", action="store_true", help="print the equivalent spark-submit command and exit")
    p.set_defaults(func=_stream)


# --- observing: alerts, dashboards -----------------------------------------------------------------------------


def _alerts(_args) -> int:
    from lab.observe import alerts

    print(alerts.rules()[["alert", "state", "for_s", "severity", "health"]].to_string(index=False))
    for a in alerts.active():
        print(f"{a['state']:8} {a['alert']} {a['labels']} since {a['since']}")
    return 0


def _dashboards(args) -> int:
    from lab.observe import dashboard

    bad = 0
    for name in args.names or dashboard.names():
        for r in dashboard.run(name):
            status = f"ERROR {r.error}" if r.error else ("EMPTY" if r.empty else f"{len(r.data)} rows")
            bad += bool(r.error or r.empty)
            print(f"{name:9} {r.title[:55]:55} {status}")
    return 1 if bad else 0


def _add_observe(sub) -> None:
    p = sub.add_parser("alerts", help="the alert rules Prometheus evaluates and their states")
    p.set_defaults(func=_alerts)
    d = sub.add_parser("dashboards", help="run every panel query of grafana/*.json; non-zero if one is broken or empty")
    d.add_argument("names", nargs="*", help="dashboards (default: all)")
    d.set_defaults(func=_dashboards)


# --- the notebooks: demo, strip, release ------------------------------------------------------------------------------


def _demo(args) -> int:
    from lab.lessons import notebooks

    results = notebooks.demo(args.weeks.split(","), smoke=args.smoke)
    print("\nSummary")
    for r in results:
        figures = "  ".join(f"{k}={v}" for k, v in r.summary.items())
        print(f"  {r.notebook:32s} {'ok ' if r.ok else 'FAIL'} {r.seconds:6.0f}s  {figures}")
    return 0 if results and all(r.ok for r in results) else 1


def _strip(args) -> int:
    from lab.lessons import notebooks

    dirty = notebooks.dirty() if args.check else notebooks.strip_all()
    print(("notebooks with outputs: " if args.check else "stripped: ") + (", ".join(dirty) or "none"))
    return 1 if (args.check and dirty) else 0


def _release(args) -> int:
    from lab.lessons import release

    stale = release.release(check=args.check)
    if args.check:
        names = ", ".join(stale)
        print(f"stale student notebooks (run `lab release`): {names}" if stale else "student release up to date")
        return 1 if stale else 0
    print("written: " + (", ".join(stale) or "none (already up to date)"))
    return 0


def _add_notebooks(sub) -> None:
    from lab.lessons.notebooks import DEMO_WEEKS

    p = sub.add_parser("demo", help="run the pipeline notebooks headless and print a summary")
    p.add_argument("--smoke", action="store_true", help="small data (as in the tests)")
    p.add_argument("--weeks", default=",".join(DEMO_WEEKS), help="comma-separated weeks (default: %(default)s)")
    p.set_defaults(func=_demo)
    s = sub.add_parser("strip", help="strip outputs from the week notebooks (before committing)")
    s.add_argument("--check", action="store_true", help="only report notebooks with outputs; exit 1 if any")
    s.set_defaults(func=_strip)
    r = sub.add_parser("release", help="write the student notebooks (notebooks/NN_*) from notebooks/instructor/")
    r.add_argument("--check", action="store_true", help="only compare; exit 1 if a student notebook is stale")
    r.set_defaults(func=_release)


# --- the kind target -----------------------------------------------------------------------------------------------


def _kind(args) -> int:
    from lab.deploy import kind, kube

    config.use("kind")
    if args.action == "secrets":
        for name, path in kind.ensure_secrets().items():
            print(f"{name}: {path}")
    elif args.action == "render":
        kind.ensure_secrets()
        print(kind.run(["kubectl", "kustomize", str(kind.overlay_dir())], what="kubectl kustomize"), end="")
    elif args.action == "build":
        for image in kind.images_to_build(args.services):
            kind.build_image(image)
    elif args.action == "up":
        if not args.services:
            for name, why in kube.skipped().items():
                print(f"skipping {name}: {why}")
        print("ready: " + ", ".join(kube.up(args.services or None, timeout=args.timeout)))
    elif args.action == "down":
        print("deleted cluster" if kube.down() else "no cluster to delete")
    elif args.action == "status":
        for row in kube.status():
            print(
                f"{row['service']:<16} {row['object']:<34} {'ready' if row['ready'] else 'NOT READY':<9} "
                f"{row['status']}"
            )
    elif args.action == "logs":
        for name in args.services or ["kafka"]:
            print(kube.logs(name, tail=args.tail))
    return 0


def _add_kind(sub) -> None:
    p = sub.add_parser("kind", help="the kind target: secrets, render, build images, up, down, status, logs")
    p.add_argument("action", choices=["secrets", "render", "build", "up", "down", "status", "logs"])
    p.add_argument("services", nargs="*", help="services (default: all), e.g. kafka schema_registry cassandra")
    p.add_argument("--timeout", type=float, default=600, help="seconds to wait for each object (default 600)")
    p.add_argument("--tail", type=int, default=100, help="log lines per pod (logs)")
    p.set_defaults(func=_kind)


def _k8s(args) -> int:
    from lab.services import controlplane

    if args.action == "start":
        path = controlplane.start(nodes=1, size=args.size, progress=print)
        controlplane.kind_system_pods("lab-node-0")
        print(f"export LAB_KUBECONFIG={path} LAB_KUBE_CONTEXT={controlplane.CONTEXT}   # then: lab --target kind up")
        print(f"kubectl: {controlplane.kubectl()} --kubeconfig {path} get nodes")
    elif args.action == "stop":
        print("stopped: " + (", ".join(controlplane.stop(wipe=args.wipe)) or "nothing"))
    else:
        for row in controlplane.status():
            print(f"{row['name']:26} {row['pid'] or '-':>8}  {row['log']}")
    return 0


def _add_k8s(sub) -> None:
    p = sub.add_parser("k8s", help="a real Kubernetes control plane on 127.0.0.1 (fake nodes: no container runs)")
    p.add_argument("action", choices=["start", "stop", "status"])
    p.add_argument("--size", default="learner", choices=["learner", "github"], help="the fake node's size")
    p.add_argument("--wipe", action="store_true", help="stop: also delete its etcd data")
    p.set_defaults(func=_k8s)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="lab", description="Kappa Lab: real streaming services for the notebooks.")
    parser.add_argument("--target", choices=TARGETS, default=None, help="where the services run (default: local)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in (_add_stack, _add_backup, _add_produce, _add_stream, _add_notebooks, _add_kind, _add_k8s, _add_observe):
        add(sub)
    for p in sub.choices.values():  # `lab up --target kind` as well as `lab --target kind up`
        if "--target" not in p._option_string_actions:
            p.add_argument("--target", choices=TARGETS, default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `lab` console script (and of the streaming driver under spark-submit)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.target:
        config.use(args.target)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except LabError as exc:
        print(f"lab {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"lab {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
