"""Bench: the raw archive's throughput (records/s archived), its size on the store (bytes per record) and the stack's
peak RSS with the archive running (Kafka, registry, S3Proxy, Connect; Cassandra and Prometheus too when they run).

Uses the stack of the current LAB_HOME and LAB_PORT_OFFSET (starts kafka, schema_registry and the archive if needed),
produces N trips of one TLC month to taxi-trips, and times until the archive holds every record; the comparison with
the topic (count, bytes) must pass for the figures to count.

    LAB_PORT_OFFSET=500 .venv/bin/python bench/archive.py --trips 20000
"""

from __future__ import annotations

import argparse
import threading
import time


def _store_bytes() -> tuple[int, int]:
    """(data bytes, all bytes incl. Iceberg metadata) under the archive bucket."""
    from lab import config
    from lab.services import s3proxy

    root = s3proxy.data_dir() / config.ARCHIVE_BUCKET
    files = [p for p in root.rglob("*") if p.is_file()]
    data = sum(p.stat().st_size for p in files if p.suffix == ".parquet")
    return data, sum(p.stat().st_size for p in files)


def main() -> None:
    from lab.pipeline import archive, produce
    from lab.services import stack

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trips", type=int, default=20000)
    args = parser.parse_args()
    stack.up(["schema_registry", "archive"])
    before = archive.read() if archive.end_offsets() else None
    archived_before = 0 if before is None else len(before)
    data0, all0 = _store_bytes()

    peak: dict[str, int] = {}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            rows = [r for r in stack.status(list(stack.ALL)) if r["running"]]
            total = sum(r["rss"] for r in rows)
            if total > peak.get("total", 0):
                peak.update({"total": total, **{r["name"]: r["rss"] for r in rows}})
            done.wait(1.0)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t0 = time.monotonic()
    report = produce.produce("yellow", "2021-01", limit=args.trips, progress=False)
    produced_s = time.monotonic() - t0
    archive.wait_caught_up(timeout=900)
    caught_up_s = time.monotonic() - t0
    done.set()
    sampler.join()
    result = archive.compare(strict=True, timeout=300)
    new = result.archived - archived_before
    data1, all1 = _store_bytes()
    print(
        f"archive bench: {report.delivered:,} trips produced in {produced_s:.1f} s; archive caught up after "
        f"{caught_up_s:.1f} s (commit interval 5 s)"
    )
    print(f"  archived        {new:,} new records, {new / caught_up_s:,.0f} records/s (produce start → caught up)")
    print(f"  check           {result.summary()}")
    print(
        f"  on the store    {(data1 - data0) / max(new, 1):,.1f} bytes/record in Parquet data files, "
        f"{(all1 - all0) / max(new, 1):,.1f} with Iceberg metadata; Kafka values "
        f"{result.topic_bytes / max(result.records, 1):,.1f} bytes/record"
    )
    print("  peak RSS        " + ", ".join(f"{k} {v / 2**20:,.0f} MiB" for k, v in peak.items()))


if __name__ == "__main__":
    main()
