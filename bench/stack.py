"""Bench: how long `lab up` takes and how much memory the local stack holds (targets: <= 60 s, <= 4 GiB).

Runs in a throwaway LAB_HOME on a free port offset (so a running stack is left alone), with the shared,
already resolved jars: first a fresh start (storage formatted, topics created), then a restart from
stopped with the data in place. The reference measured in the same run is a bare `java -version`.

    .venv/bin/python bench/stack.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

TARGET_SECONDS = 60.0
TARGET_BYTES = 4 * 2**30


def _free_offset() -> int:
    from lab import config
    from lab.services.process import port_listening

    for offset in range(1100, 3000, 41):
        if not any(port_listening(p + offset) for p in config.Ports().__dict__.values()):
            return offset
    raise SystemExit("no free port offset found")


def _java_reference() -> float:
    from lab.services import artifacts

    java = artifacts.java_bin()
    t0 = time.monotonic()
    subprocess.run([java, "-version"], capture_output=True, check=True)
    return time.monotonic() - t0


def _one_run() -> tuple[float, list[dict], list[dict]]:
    from lab.services import stack

    t0 = time.monotonic()
    report = stack.up()
    total = time.monotonic() - t0
    return total, report, stack.status()


def _print_run(label: str, total: float, report: list[dict], rows: list[dict], java_s: float) -> None:
    print(
        f"\n{label}: lab up took {total:.1f} s  (target <= {TARGET_SECONDS:.0f} s: "
        f"{total / TARGET_SECONDS:.0%} of it; {total / java_s:.0f}x a bare JVM start)"
    )
    rss = {r["name"]: r["rss"] for r in rows}
    print(f"  {'service':16} {'ready after':>11} {'RSS MiB':>8}")
    for r in report:
        print(f"  {r['name']:16} {r['seconds']:10.1f}s {rss[r['name']] / 2**20:8.0f}")
    total_rss = sum(rss.values())
    print(
        f"  {'total':16} {total:10.1f}s {total_rss / 2**20:8.0f}  "
        f"(target <= {TARGET_BYTES / 2**30:.0f} GiB: {total_rss / TARGET_BYTES:.0%} of it)"
    )


def main() -> int:
    from lab import config
    from lab.services import stack

    java_s = _java_reference()
    print(f"reference: bare `java -version` {java_s * 1000:.0f} ms")
    with tempfile.TemporaryDirectory(prefix="lab-bench-") as home:
        os.environ["LAB_JARS"] = str(config.jars_dir())
        os.environ["LAB_HOME"] = home
        os.environ["LAB_PORT_OFFSET"] = str(_free_offset())
        config.use("local")
        print(f"bench stack in {home}, port offset {os.environ['LAB_PORT_OFFSET']}")
        try:
            _print_run("fresh start (empty data)", *_one_run(), java_s)
            t0 = time.monotonic()
            stack.down()
            print(f"\nlab down took {time.monotonic() - t0:.1f} s")
            _print_run("cold start from stopped (data in place, caches warm)", *_one_run(), java_s)
        finally:
            stack.down(purge=True)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
    sys.exit(main())
