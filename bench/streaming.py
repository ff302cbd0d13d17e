"""Streaming benchmarks: end-to-end freshness at a steady rate, replay throughput vs a batch Spark job, peak RSS.

Prints figures and ratios measured in the same run; asserts nothing. Starts the local stack if it is not running.

    python bench/streaming.py                       # all three, defaults below
    python bench/streaming.py --rate 2000 --seconds 60 --replay-trips 1000000 --max-offsets 500000

Freshness: a producer sends `rate` trips/s with pickup_ts = now; for every (zone, 5-minute window) row the
delay is Cassandra's write time of the row's final version minus the Kafka ack time of the window's last
trip. A 60 s run lies in one or two 5-minute windows, so most rows' last trips come in the run's last second and
that figure is close to one draw of where the run ends in the trigger's cycle (±0.3 s between runs of the same code);
so every trip is also timed, from its ack to the end of the `zone_windows` save of the micro-batch that read it.
Replay: the real 2021-01 sample scaled up to >= `replay_trips` trips (SYNTHETIC: time-shifted copies,
lab.data.scale_up) goes Kafka → Spark → Cassandra with trigger availableNow; the reference is a batch Spark
job computing the same aggregates from the same rows in Parquet, writing the same tables.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import threading
import time
import uuid

import numpy as np
import pandas as pd
import psutil

from lab import config
from lab.lessons import loadtest
from lab.pipeline import data, produce, schemas, sink, stream, tables, topics, truth, wire
from lab.services import spark as lab_spark
from lab.services.process import rss_bytes

GIB = 1 << 30
# issue 22's targets, printed next to each figure (a figure is compared, never asserted)
TARGET_P50_S, TARGET_P95_S = 1.0, 2.0  # freshness at 2,000 trips/s
TARGET_RAMP = 10_000  # trips/s the ramp holds with p95 ≤ loadtest.P95_TARGET_S
TARGET_REPLAY_RATE = 20_000  # trips/s
TARGET_RATIO = 1.5  # replay / the batch job on the same rows
TARGET_RSS_GIB = 3.0  # peak RSS of the local stack with the job running


def _vs(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _descends(pid: int, ancestor: int) -> bool:
    try:
        return any(p.pid == ancestor for p in psutil.Process(pid).parents())
    except psutil.Error:
        return False


class RssSampler(threading.Thread):
    """Samples the RSS of the whole local stack (services + this process tree: the Spark driver, its JVM, Python workers)."""

    def __init__(self, every_s: float = 0.5):
        super().__init__(daemon=True)
        from lab.services import cassandra, kafka, prometheus, schema_registry

        self.pids = [m.process().pid() for m in (kafka, schema_registry, cassandra, prometheus)]
        self.every_s, self.peak, self.parts, self._halt = every_s, 0, {}, threading.Event()
        self.active = True  # samples count only while True

    def run(self) -> None:
        while not self._halt.wait(self.every_s):
            if not self.active:
                continue
            services = {p: rss_bytes(p) for p in self.pids if p}
            # started from a stopped stack (stack.up() in main), the services are this process's children: their
            # trees are in this process's tree too and are counted once, as services
            mine = sum(n for p, n in services.items() if _descends(p, os.getpid()))
            parts = {
                "kafka+registry+cassandra+prometheus": sum(services.values()),
                "spark driver + python workers": rss_bytes(os.getpid()) - mine,
            }
            if sum(parts.values()) > self.peak:
                self.peak, self.parts = sum(parts.values()), parts

    def stop(self) -> None:
        self._halt.set()
        self.join(5)


def cassandra_quiet(timeout_s: float = 180.0) -> float:
    """Wait (bounded) until Cassandra has no compaction or flush running or queued; returns the seconds waited.

    A timed run must not inherit the compactions of the previous one (a replay leaves minutes of them).
    """
    session, t0 = tables.connect(), time.time()
    pools = ("CompactionExecutor", "MemtableFlushWriter", "MemtablePostFlush")
    while time.time() - t0 < timeout_s:
        busy = sum(
            r.active_tasks + r.pending_tasks
            for r in session.execute("SELECT name, active_tasks, pending_tasks FROM system_views.thread_pools")
            if r.name in pools or r.name.startswith("PerDiskMemtableFlushWriter")
        )
        if busy == 0 and not session.execute("SELECT * FROM system_views.sstable_tasks").all():
            return time.time() - t0
        time.sleep(1.0)
    print(f"   (Cassandra still compacting after {timeout_s:.0f} s: the next figure includes it)", flush=True)
    return time.time() - t0


def _pct(values, q) -> float:
    return float(np.percentile(values, q)) if len(values) else float("nan")


WARM_S = 10  # seconds of load a new query takes before a freshness measurement starts


def _phases(progress: list[dict]) -> dict:
    """Median milliseconds per phase of the micro-batches that had data (Spark's durationMs)."""
    busy = [p["durationMs"] for p in progress if p.get("numInputRows")]
    keys = sorted({k for d in busy for k in d})
    return {k: int(np.median([d.get(k, 0) for d in busy])) for k in keys} if busy else {}


def steady_producer(topic: str, rate: int, seconds: int, out: str, tag: str = "bench") -> None:
    """Send `rate` trips/s for `seconds` with pickup_ts = now; write (n, pickup_ts, zone, ack time) to `out`.

    Runs in its own process, as a producer does in the pipeline: its encoding work does not compete with
    the Spark driver's Python process (foreachBatch runs there) for one interpreter lock.
    """
    from confluent_kafka import Producer

    schema = schemas.load()
    sid = schemas.register(config.subject(topic), schema)
    base = truth.accepted().reset_index(drop=True)
    acks: list[tuple[int, float]] = []

    def on_ack(err, msg):
        if err is None:
            acks.append((int(msg.key()), time.time(), msg.partition(), msg.offset()))  # key = trip number

    producer = Producer(produce.producer_config(**{"linger.ms": 5}))
    sent, rows, chunk = 0, [], max(1, rate // 20)  # 20 chunks per second
    t0 = time.time()
    while time.time() - t0 < seconds:
        due = t0 + sent / rate
        if due > time.time():
            producer.poll(max(0.0, due - time.time()))
            continue
        trips = base.iloc[[(sent + i) % len(base) for i in range(chunk)]].copy()
        now = pd.Timestamp.now(tz="UTC").tz_localize(None)
        dur = trips["dropoff_ts"] - trips["pickup_ts"]
        trips["pickup_ts"] = now.floor("us")
        trips["dropoff_ts"] = (trips["pickup_ts"] + dur).astype("datetime64[us]")
        trips["trip_id"] = [f"{tag}-{sent + i}" for i in range(chunk)]
        for i, value in enumerate(wire.encode_frames(trips, schema, sid)):
            producer.produce(topic, value=value, key=str(sent + i), on_delivery=on_ack)
        rows.append(trips[["pickup_ts", "pu_location_id"]].assign(n=range(sent, sent + chunk)))
        sent += chunk
        producer.poll(0)
    producer.flush(30)
    elapsed = time.time() - t0
    acked = pd.DataFrame(acks, columns=["n", "ack", "partition", "offset"]).set_index("n")
    sent_df = pd.concat(rows).join(acked, on="n")
    sent_df.attrs["seconds"] = elapsed
    sent_df.to_parquet(out)
    print(f"   {tag} producer: {sent:,} trips in {elapsed:.1f} s, {len(acks):,} acknowledged", flush=True)


@contextlib.contextmanager
def zone_write_clock(written: dict[int, float]):
    """While open, queries started here record when each micro-batch's `zone_windows` save returned (its batch id →
    time.time()) in `written`: the save returns once every row of it is acknowledged by Cassandra.

    The benchmark's own instrument: it wraps lab.sink's functions in this process, and restores them.
    """
    real_writer, real_save = sink.window_writer, sink.save
    current: dict[str, int] = {}

    def save(df, table: str) -> None:
        real_save(df, table)
        if table == "zone_windows" and "epoch" in current:
            written.setdefault(current["epoch"], time.time())  # the first save that went through

    def window_writer(*args, **kwargs):
        write = real_writer(*args, **kwargs)

        def timed(batch, epoch_id: int) -> None:
            current["epoch"] = epoch_id
            write(batch, epoch_id)

        return timed

    sink.save, sink.window_writer = save, window_writer
    try:
        yield written
    finally:
        sink.save, sink.window_writer = real_save, real_writer


def trip_delays(sent: pd.DataFrame, progress: list[dict], written: dict[int, float], topic: str) -> np.ndarray:
    """Per trip (partition, offset, ack): seconds from its ack to the zone_windows save of the micro-batch that read
    it (the batch whose offset range holds it, from the query's progress). Trips of no timed batch are left out."""
    spans = []
    for p in progress:
        src = p["sources"][0] if p.get("sources") else {}
        start, end = src.get("startOffset"), src.get("endOffset")
        if p["batchId"] in written and isinstance(start, dict) and isinstance(end, dict):
            for part, first in start.get(topic, {}).items():
                spans.append((int(part), int(first), int(end[topic][part]), written[p["batchId"]]))
    if not spans:
        return np.array([])
    spans_df = pd.DataFrame(spans, columns=["partition", "first", "end", "written"]).sort_values("first")
    trips = sent.dropna(subset=["offset"]).astype({"partition": int, "offset": int}).sort_values("offset")
    m = pd.merge_asof(trips, spans_df, left_on="offset", right_on="first", by="partition")
    m = m[m["offset"] < m["end"]]
    return (m["written"] - m["ack"]).to_numpy()


def _in_child(target, args: tuple, timeout: float, what: str) -> None:
    """Run `target(*args)` in a fresh (spawned) process and wait; SystemExit naming `what` if it fails."""
    import multiprocessing

    proc = multiprocessing.get_context("spawn").Process(target=target, args=args)
    proc.start()
    proc.join(timeout)
    if proc.exitcode != 0:
        proc.kill()
        raise SystemExit(f"{what} failed (exit code {proc.exitcode})")


def freshness(rate: int, seconds: int, trigger: str, warm_s: int = WARM_S) -> dict:
    """Steady `rate` trips/s for `seconds`; per window row: Cassandra write time − Kafka ack of its last trip; per
    trip: its ack → the end of the zone_windows save of the micro-batch that read it (zone_write_clock).

    The query first takes `warm_s` seconds of the same load, not measured: a new query's first micro-batches start
    its Python workers and JIT-compile its generated code (seen here: 8–10 s each on a cold query, ~1–4 s warm), and
    a steady state is what the figure is about. The query's progress from the warm-up is left out of the phases
    and the lag too.
    """
    topic = f"bench-fresh-{uuid.uuid4().hex[:6]}"
    topics.ensure_topics(topic, f"{topic}-dlq")
    tables.truncate(tables.WINDOW_TABLES)
    cassandra_quiet()
    job = stream.Job(topic=topic, trigger=trigger, starting_offsets="earliest", name="bench_fresh")
    stream.reset(job)
    with zone_write_clock({}) as written:
        return _freshness(job, topic, rate, seconds, warm_s, written)


def _freshness(job, topic: str, rate: int, seconds: int, warm_s: int, written: dict[int, float]) -> dict:
    running = stream.start(job)
    running.windows.processAllAvailable()  # the query is up before the clock starts
    (config.lab_home() / "bench").mkdir(parents=True, exist_ok=True)
    if warm_s:
        warm = str(config.lab_home() / "bench" / f"{topic}-warm.parquet")
        _in_child(steady_producer, (topic, rate, warm_s, warm, "warm"), warm_s + 120, "the warm-up producer")
        running.process_all_available()
    since = pd.Timestamp.now(tz="UTC")
    out = str(config.lab_home() / "bench" / f"{topic}.parquet")
    try:
        _in_child(steady_producer, (topic, rate, seconds, out), seconds + 120, "the bench producer")
    except SystemExit:
        running.stop()
        raise
    running.process_all_available()
    dropped = running.dropped_by_watermark()
    measured = [p for p in running.progress() if pd.Timestamp(p["timestamp"]) >= since]
    phases, paths = _phases(measured), running.decode_paths()
    running.stop()
    sent_df = pd.read_parquet(out)
    elapsed, sent = sent_df.attrs.get("seconds", seconds), len(sent_df)
    sent_df["window_start"] = sent_df["pickup_ts"].dt.floor("5min")
    last = sent_df.groupby(["pu_location_id", "window_start"])["ack"].max().rename("last_ack").reset_index()
    rs = tables.connect().execute(
        f"SELECT zone_id, window_start, writetime(trips) AS wt FROM {config.KEYSPACE}.zone_windows", timeout=120
    )
    got = pd.DataFrame([r._asdict() for r in rs])
    got["window_start"] = pd.to_datetime(got["window_start"])
    m = last.merge(got, left_on=["pu_location_id", "window_start"], right_on=["zone_id", "window_start"])
    delay = (m["wt"] / 1e6 - m["last_ack"]).to_numpy()
    per_trip = trip_delays(sent_df, measured, written, topic)
    topics.delete_topics([topic, f"{topic}-dlq"])
    return {
        "target": rate,
        "sent": sent,
        "seconds": round(elapsed, 1),
        "rate": round(sent / elapsed),
        "windows": len(m),
        "max_lag": loadtest.max_lag(measured),
        "p50_s": _pct(delay, 50),
        "p95_s": _pct(delay, 95),
        "p99_s": _pct(delay, 99),
        "trips_timed": len(per_trip),
        "trip_p50_s": _pct(per_trip, 50),
        "trip_p95_s": _pct(per_trip, 95),
        "trip_p99_s": _pct(per_trip, 99),
        "batches": len(measured),
        "dropped_by_watermark": dropped,
        "phases_ms": phases,
        "decode_paths": paths,
    }


def prepare_replay(n_trips: int, share: int, topic: str, parquet: str, out: str) -> None:
    """In its own process: the sample × ≈ n_trips / its size / `share` (SYNTHETIC) → Kafka topic and Parquet; figures
    (scale included) → `out` (JSON).

    The benchmark process never holds the trips (not even to count them: that kept ~35 MiB resident in the process
    whose RSS is sampled as the Spark driver's), so the RSS it samples is the stack's and the job's.
    """
    import json

    sample = truth.accepted()
    scale = max(1, -(-n_trips // len(sample)) // share)
    trips = data.scale_up(sample, scale)
    topics.ensure_topics(topic, f"{topic}-dlq")
    t = time.time()
    rep = produce.produce_frame(trips, topic=topic, dlq=f"{topic}-dlq", progress=False)
    produce_s = time.time() - t
    trips.reset_index(drop=True).to_parquet(parquet, coerce_timestamps="us", allow_truncated_timestamps=True)
    with open(out, "w") as f:
        json.dump({"trips": len(trips), "scale": scale, "produce_s": produce_s, "produce_rate": rep.rate}, f)


def _prepare(n_trips: int, name: str, share: int = 1) -> tuple[str, str, dict]:
    import json

    folder = config.lab_home() / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    topic = f"bench-{name}-{uuid.uuid4().hex[:6]}"
    parquet, out = str(folder / f"{name}.parquet"), str(folder / f"{name}.json")
    _in_child(prepare_replay, (n_trips, share, topic, parquet, out), 1800, f"preparing the {name} data")
    with open(out) as f:
        return topic, parquet, json.load(f)


def batch_job(spark, parquet: str) -> None:
    """The reference: the job's own aggregate query (lab.stream.aggregate) as a batch job over the same rows
    (Parquet; no Kafka, no Avro), written by the same foreachBatch function."""
    from pyspark.sql import functions as F

    from lab.pipeline import sink

    df = spark.read.parquet(parquet).select(
        F.col("pickup_ts").cast("timestamp").alias("pickup_ts"),
        F.col("pu_location_id").cast("int"),
        "passenger_count",
        "fare_amount",
        "tip_amount",
        "trip_distance",
        "total_amount",
        F.current_timestamp().alias("kafka_ts"),
    )
    sink.window_writer()(stream.aggregate(spark, df, view="bench_batch"), -1)


def stream_job(spark, topic: str, name: str, max_offsets: int):
    """The streaming job over the whole topic (availableNow), from a fresh checkpoint."""
    job = stream.Job(
        topic=topic, trigger="availableNow", watermark="10 minutes", max_offsets_per_trigger=max_offsets, name=name
    )
    stream.reset(job)
    return stream.start(job, spark).await_done(7200)


def replay(n_trips: int, max_offsets: int) -> dict:
    """>= n_trips SYNTHETIC trips (scaled-up sample) through Kafka → Spark → Cassandra vs a batch Spark job.

    Both paths first run once on a sixth of the data (warm-up: the JIT of Spark's and Cassandra's JVMs, Python
    workers, connector sessions). Then each runs twice, in the order stream, batch, batch, stream: whatever
    the previous run leaves behind (Cassandra compactions, memtables, caches) falls on both paths alike.
    """
    spark = lab_spark.start()
    warm_topic, warm_parquet, warm = _prepare(n_trips, "warmup", share=6)
    topic, parquet, prep = _prepare(n_trips, "replay")
    scale = prep["scale"]
    t = time.time()
    stream_job(spark, warm_topic, "bench_warmup", max_offsets)
    batch_job(spark, warm_parquet)
    print(f"   (warm-up on the sample × {warm['scale']}, both paths: {time.time() - t:.1f} s)", flush=True)

    n, times, sampler, running = prep["trips"], {"stream": [], "batch": []}, RssSampler(), None
    sampler.start()
    for path in ("stream", "batch", "batch", "stream"):
        tables.truncate(tables.WINDOW_TABLES)
        cassandra_quiet()
        sampler.active = path == "stream"
        t = time.time()
        if path == "stream":
            running = stream_job(spark, topic, "bench_replay", max_offsets)
        else:
            batch_job(spark, parquet)
        times[path].append(time.time() - t)
        sampler.active = False
        print(f"   ({path} run {len(times[path])}: {times[path][-1]:.1f} s)", flush=True)
    sampler.stop()
    # the last run was a stream: its progress, and the rows it left in Cassandra
    rows = tables.connect().execute(f"SELECT count(*) FROM {config.KEYSPACE}.zone_windows", timeout=300).one()[0]
    stream_s, batch_s = (float(np.mean(times[p])) for p in ("stream", "batch"))
    topics.delete_topics([topic, f"{topic}-dlq", warm_topic, f"{warm_topic}-dlq"])
    return {
        "trips": n,
        "scale": scale,
        "produce_s": round(prep["produce_s"], 1),
        "produce_rate": round(prep["produce_rate"]),
        "stream_runs_s": [round(x, 1) for x in times["stream"]],
        "batch_runs_s": [round(x, 1) for x in times["batch"]],
        "stream_s": round(stream_s, 1),
        "stream_rate": round(n / stream_s),
        "zone_rows": rows,
        "batch_s": round(batch_s, 1),
        "ratio_stream_to_batch": round(stream_s / batch_s, 2),
        "batches": len(running.progress()),
        "dropped_by_watermark": running.dropped_by_watermark(),
        "decode_paths": running.decode_paths(),
        "peak_rss_gib": round(sampler.peak / GIB, 2),
        "phases_ms": _phases(running.progress()),
        "rss_parts_gib": {k: round(v / GIB, 2) for k, v in sampler.parts.items()},
    }


def ramp(rates: list[int], seconds: int, trigger: str) -> list[dict]:
    """The load ramp (week 8): one freshness step per rate, until a step no longer holds p95 ≤ 4 s."""
    steps = []
    print(
        f"\n== load ramp: {seconds} s per step, trigger {trigger!r}, holds when p95 ≤ {loadtest.P95_TARGET_S} s and "
        "≥ 90% of the rate was sent"
    )
    print(f"   {'target/s':>9} {'sent/s':>8} {'p50 s':>7} {'p95 s':>7} {'max lag':>8} {'dropped':>8}  holds")
    for rate in rates:
        f = freshness(rate, seconds, trigger)
        steps.append(f)
        holds = loadtest.highest_holding([f]) == rate
        print(
            f"   {rate:9,} {f['rate']:8,} {f['p50_s']:7.2f} {f['p95_s']:7.2f} {f['max_lag']:8,} "
            f"{f['dropped_by_watermark']:8,}  {'yes' if holds else 'NO'}",
            flush=True,
        )
        if not holds:
            break
    best = loadtest.highest_holding(steps)
    print(
        f"   highest rate holding p95 ≤ {loadtest.P95_TARGET_S} s: {f'{best:,} trips/s' if best else 'none'} "
        f"(target ≥ {TARGET_RAMP:,}: {_vs((best or 0) >= TARGET_RAMP)})"
    )
    return steps


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rate", type=int, default=2000)
    p.add_argument("--seconds", type=int, default=60)
    p.add_argument(
        "--trigger", default=stream.TRIGGER, help=f"processing-time trigger (default: the lab's, {stream.TRIGGER!r})"
    )
    p.add_argument("--replay-trips", type=int, default=1_000_000)
    p.add_argument("--max-offsets", type=int, default=stream.MAX_BATCH, help="maxOffsetsPerTrigger of the replay")
    p.add_argument("--skip", choices=["freshness", "replay"], action="append", default=[])
    p.add_argument(
        "--ramp",
        default=None,
        metavar="RATES",
        help="the load ramp instead: comma-separated trips/s steps, e.g. 1000,2000,5000,10000,20000",
    )
    args = p.parse_args()
    from lab.services import stack

    stack.up()  # starts what is not running yet (Kafka, registry, Cassandra, Prometheus): `make bench` from a stopped stack
    tables.apply()
    lab_spark.start()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    if args.ramp:
        ramp([int(r) for r in args.ramp.split(",")], args.seconds, args.trigger)
        lab_spark.stop()
        return
    if "freshness" not in args.skip:
        f = freshness(args.rate, args.seconds, args.trigger)
        print(
            f"\n== freshness: {f['sent']:,} trips in {f['seconds']} s ({f['rate']:,}/s), trigger {args.trigger!r}, "
            f"{f['batches']} micro-batches, {f['windows']} window rows"
        )
        print(
            f"   delay ack(last trip) → row written: p50 {f['p50_s']:.2f} s  p95 {f['p95_s']:.2f} s  p99 {f['p99_s']:.2f} s"
            f"   (targets p50 ≤ {TARGET_P50_S:g} s: {_vs(f['p50_s'] <= TARGET_P50_S)}, p95 ≤ {TARGET_P95_S:g} s: "
            f"{_vs(f['p95_s'] <= TARGET_P95_S)}); dropped by watermark {f['dropped_by_watermark']}"
        )
        print(
            f"   every trip, ack → its micro-batch's zone_windows save returned ({f['trips_timed']:,} trips): "
            f"p50 {f['trip_p50_s']:.2f} s  p95 {f['trip_p95_s']:.2f} s  p99 {f['trip_p99_s']:.2f} s"
            f"   (targets p50 ≤ {TARGET_P50_S:g} s: {_vs(f['trip_p50_s'] <= TARGET_P50_S)}, p95 ≤ {TARGET_P95_S:g} s: "
            f"{_vs(f['trip_p95_s'] <= TARGET_P95_S)})"
        )
        print(f"   median ms per micro-batch phase: {f['phases_ms']}")
        print(
            f"   decoded by Spark's Avro reader: {f['decode_paths']['by_spark']:,} of {f['decode_paths']['records']:,}"
            " records in the last 100 micro-batches"
        )
    if "replay" not in args.skip:
        r = replay(args.replay_trips, args.max_offsets)
        print(f"\n== replay (SYNTHETIC: the 2021-01 sample × {r['scale']}, time-shifted copies): {r['trips']:,} trips")
        print(f"   produce {r['produce_s']} s ({r['produce_rate']:,}/s)")
        print(
            f"   stream Kafka → Spark → Cassandra: {r['stream_s']} s (mean of {r['stream_runs_s']}) = "
            f"{r['stream_rate']:,} trips/s ({r['batches']} micro-batches; target ≥ {TARGET_REPLAY_RATE:,}/s: "
            f"{_vs(r['stream_rate'] >= TARGET_REPLAY_RATE)})"
        )
        d = r["decode_paths"]
        print(
            f"   decoded by Spark's Avro reader: {d['by_spark']:,} of {d['records']:,} records (the rest: lab.decode)"
        )
        print(
            f"   rows written: {r['zone_rows']:,} zone windows (+ as many top_zones rows + borough windows): "
            f"{2 * r['zone_rows'] / r['trips']:.2f} Cassandra rows per trip"
        )
        print(f"   median ms per micro-batch phase: {r['phases_ms']}")
        print(
            f"   batch Spark job, same aggregates from Parquet: {r['batch_s']} s (mean of {r['batch_runs_s']}); "
            f"stream/batch = "
            f"{r['ratio_stream_to_batch']}× (target ≤ {TARGET_RATIO:g}×: {_vs(r['ratio_stream_to_batch'] <= TARGET_RATIO)})"
        )
        print(
            f"   peak RSS of the local stack with the job running: {r['peak_rss_gib']} GiB {r['rss_parts_gib']} "
            f"(target ≤ {TARGET_RSS_GIB:g} GiB: {_vs(r['peak_rss_gib'] <= TARGET_RSS_GIB)})"
        )
    lab_spark.stop()
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
