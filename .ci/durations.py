"""Every test's time from pytest's JUnit XML (setup + call + teardown), slowest first, then the total per tier.

Usage: python3 .ci/durations.py build/junit.xml [build/junit-side.xml ...] > build/durations.txt   (standard library
only: runs before the venv). Files that do not exist are skipped (a run that stopped before writing one); the tiers of
runs that ran side by side add up to more than the wall-clock time.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path


def tier(case: ET.Element) -> str:
    """tests/<tier>/... from the test's file or class path (doctests of lab/ count as `doctest`)."""
    where = case.get("file") or case.get("classname", "").replace(".", "/")
    parts = where.split("/")
    return parts[1] if parts[0] == "tests" and len(parts) > 2 else "doctest" if parts[0] == "lab" else parts[0]


def main(*paths: str) -> None:
    cases = [c for p in paths if Path(p).is_file() for c in ET.parse(p).getroot().iter("testcase")]
    rows = sorted(
        ((float(c.get("time", 0)), tier(c), f"{c.get('classname')}::{c.get('name')}") for c in cases), reverse=True
    )
    per_tier: dict[str, list[float]] = defaultdict(list)
    for seconds, name, test in rows:
        print(f"{seconds:9.2f}s  {name:<9} {test}")
        per_tier[name].append(seconds)
    print(f"\n{'tier':<10}{'tests':>6}{'seconds':>10}")
    for name, times in sorted(per_tier.items(), key=lambda kv: -sum(kv[1])):
        print(f"{name:<10}{len(times):>6}{sum(times):>10.0f}")
    print(f"{'total':<10}{len(rows):>6}{sum(t for t, _, _ in rows):>10.0f}")


if __name__ == "__main__":
    main(*sys.argv[1:])
