"""Soak: N minutes at a steady rate through the whole pipeline; RSS per service and disk per data folder over time.

A producer process sends `rate` trips/s (real sample rows, pickup time = now, so the watermark moves and Spark's
state stays bounded) to a topic of its own; `lab stream` runs as its own driver process (trigger 1 s, the lab's
window and watermark). Every minute and at the end it prints the records the query is behind (lag), the RSS of each
service and of the driver, and the disk used by each data folder. Growth should level off: the soak topic keeps `--retention-min` minutes of data
(1-minute segments), the window tables a TTL of `--ttl-min` minutes, checkpoints keep Spark's last 100 batches.

    .venv/bin/python bench/soak.py --minutes 30 --rate 2000

Prints figures and a verdict per series (the last third's growth against the first third's); asserts nothing.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import signal
import time
import uuid
from pathlib import Path

MIB = 1 << 20


def produce_steadily(topic: str, rate: int, stop_at: float, sent) -> None:
    """Child process: `rate` trips/s in 0.1-s ticks, pickup_ts = now, until `stop_at` (time.time())."""
    import pandas as pd
    from confluent_kafka import Producer

    from lab.pipeline import data, produce, schemas, wire

    accepted, _ = data.validate(data.load("yellow", "2021-01"), "2021-01")
    duration = (accepted["dropoff_ts"] - accepted["pickup_ts"]).to_numpy()
    schema = schemas.load()
    sid = schemas.register(f"{topic}-value", schema)
    producer = Producer(produce.producer_config(**{"linger.ms": 20}))
    per_tick, i, n = max(1, rate // 10), 0, 0
    next_tick = time.monotonic()
    while time.time() < stop_at:
        pos = [(i + k) % len(accepted) for k in range(per_tick)]
        rows = accepted.iloc[pos].copy()
        now = pd.Timestamp.now(tz="UTC").tz_localize(None).floor("us")
        rows["pickup_ts"] = now
        rows["dropoff_ts"] = (now.to_datetime64() + duration[pos]).astype("datetime64[us]")
        rows["trip_id"] = [f"soak-{n + k}" for k in range(per_tick)]
        for value, zone in zip(wire.encode_frames(rows, schema, sid), rows["pu_location_id"]):
            producer.produce(topic, value, str(zone))
        producer.poll(0)
        i, n = i + per_tick, n + per_tick
        sent.value = n
        next_tick += 0.1
        while (left := next_tick - time.monotonic()) > 0:  # pacing: serve delivery reports until the next tick
            producer.poll(left)
    producer.flush(60)


def folder_bytes(path: Path) -> int:
    """Bytes of every file under `path` (0 when missing)."""
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_size
            except OSError:
                continue
    return total


def lag(topic: str, checkpoint: Path) -> int:
    """Records in `topic` the query has not yet committed: end offsets minus the checkpoint's last offsets file."""
    import json

    from lab.pipeline import running, topics

    files = sorted((checkpoint / "offsets").glob("[0-9]*"), key=lambda f: int(f.name))
    done = running.source_offsets(json.loads(files[-1].read_text().splitlines()[-1])) if files else {}
    return sum(end - done.get((topic, str(p)), 0) for p, end in topics.end_offsets(topic).items())


def sample(driver_pid: int, folders: dict[str, Path]) -> dict[str, float]:
    """MiB of RSS per service (and of the driver tree) and of disk per folder."""
    from lab.services import stack
    from lab.services.process import rss_bytes

    out = {f"rss {r['name']}": r["rss"] / MIB for r in stack.status()}
    out["rss spark driver"] = rss_bytes(driver_pid) / MIB
    out.update({f"disk {name}": folder_bytes(path) / MIB for name, path in folders.items()})
    return out


def verdict(series: list[float], minutes: list[float]) -> tuple[float, str]:
    """The last third's growth in MiB per hour and a verdict: 'levels off' when the last third grew at most half as
    much as the first third, or by less than 2% of the series' maximum (a retention sawtooth counts by its ends)."""
    if len(series) < 6:
        return 0.0, "too short to tell"
    third = len(series) // 3
    first, last = series[third] - series[0], series[-1] - series[-1 - third]
    rate = last / max(minutes[-1] - minutes[-1 - third], 1e-9) * 60
    return rate, "levels off" if last <= max(0.5 * first, 0.02 * max(series)) else "STILL GROWING"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--rate", type=int, default=2000, help="trips per second")
    parser.add_argument("--every", type=float, default=60, help="seconds between samples")
    parser.add_argument("--retention-min", type=int, default=5)
    parser.add_argument("--ttl-min", type=int, default=15)
    args = parser.parse_args()

    from confluent_kafka.admin import NewTopic

    from lab import config
    from lab.pipeline import driver as stream_driver
    from lab.pipeline import stream, tables
    from lab.services import cassandra, kafka, prometheus, stack

    stack.up(["kafka", "schema_registry", "cassandra", "prometheus"])
    tables.apply()
    topic = f"soak-{uuid.uuid4().hex[:8]}"
    cfg = {"retention.ms": str(args.retention_min * 60_000), "segment.ms": "60000", "cleanup.policy": "delete"}
    kafka.admin().create_topics([NewTopic(topic, config.TOPIC_PARTITIONS, 1, config=cfg)])[topic].result(60)
    ttls = {
        t: tables.connect()
        .execute(
            "SELECT default_time_to_live FROM system_schema.tables WHERE keyspace_name = %s AND table_name = %s",
            (config.KEYSPACE, t),
        )
        .one()[0]
        for t in tables.WINDOW_TABLES
    }
    for t in tables.WINDOW_TABLES:
        tables.set_ttl(t, args.ttl_min * 60)
    checkpoints = config.lab_home() / "soak-checkpoints"
    job = stream.Job(topic=topic, name="soak", checkpoint_root=str(checkpoints))
    stream.reset(job)
    folders = {
        "kafka": kafka.data_dir(),
        "cassandra": cassandra.data_dir(),
        "prometheus": prometheus.data_dir(),
        "checkpoints": checkpoints,
        "spark local": config.lab_home() / "spark",
    }
    driver = stream_driver.driver(job, log=config.lab_home() / "run" / "soak.driver.log")
    ctx = mp.get_context("spawn")
    sent = ctx.Value("q", 0)
    t0 = time.time()
    stop_at = t0 + args.minutes * 60
    producer = ctx.Process(target=produce_steadily, args=(topic, args.rate, stop_at, sent))
    producer.start()
    rows: list[tuple[float, int, dict]] = []
    try:
        while time.time() < stop_at + 1:
            time.sleep(min(args.every, max(0.0, stop_at - time.time()) + 1))  # the sampling period, not a wait
            if not producer.is_alive() and time.time() < stop_at:
                raise SystemExit(f"the producer exited ({producer.exitcode}); its error is above")
            if driver.poll() is not None:
                raise SystemExit(f"the streaming driver exited ({driver.returncode}); see .lab/run/soak.driver.log")
            s = sample(driver.pid, folders)
            rows.append((time.time() - t0, sent.value, s))
            behind = lag(topic, job.checkpoint(job.name))
            print(
                f"{rows[-1][0] / 60:5.1f} min  sent {sent.value:>9,}  lag {behind:>7,}  "
                + "  ".join(f"{k} {v:,.0f}" for k, v in s.items()),
                flush=True,
            )
    finally:
        producer.join(120)
        os.killpg(driver.pid, signal.SIGTERM)
        driver.wait(60)
        for t, ttl in ttls.items():
            tables.set_ttl(t, ttl)
        kafka.admin().delete_topics([topic])
    elapsed = rows[-1][0] if rows else 0
    print(
        f"\nsoak: {args.minutes:g} min at {args.rate:,} trips/s target; sent {sent.value:,} "
        f"({sent.value / max(elapsed, 1):,.0f}/s)"
    )
    print(f"{'series (MiB)':28} {'start':>8} {'half':>8} {'end':>8} {'max':>8} {'MiB/h last':>10}  verdict")
    minutes = [r[0] / 60 for r in rows]
    for key in rows[0][2] if rows else ():
        series = [r[2][key] for r in rows]
        late, word = verdict(series, minutes)
        print(
            f"{key:28} {series[0]:8.0f} {series[len(series) // 2]:8.0f} {series[-1]:8.0f} {max(series):8.0f} "
            f"{late:10.1f}  {word}"
        )


if __name__ == "__main__":
    main()
