"""Week 5 exercise checks: a partition read with CQL, real dropped trips vs the metric, borough totals from zones."""
from __future__ import annotations

import pandas as pd

from lab.lessons.exercises import expect


def check_zone_day(rows, expected: pd.DataFrame, zone_id: int, day: str) -> str:
    """`rows` (DataFrame) is zone_windows for one zone and day, newest first, read with one partition query."""
    expect(rows is not None and len(rows) > 0, "run the SELECT first: no rows yet")
    rows = pd.DataFrame(rows)
    expect({"window_start", "trips"} <= set(rows.columns), "select at least window_start and trips")
    starts = pd.to_datetime(rows["window_start"])
    expect(starts.is_monotonic_decreasing, "rows must come newest first (that is the table's clustering order)")
    want = expected[(expected["zone_id"] == zone_id) & (expected["window_start"].dt.normalize() == pd.Timestamp(day))]
    expect(len(rows) == len(want), f"{len(rows)} rows, but zone {zone_id} has {len(want)} windows on {day}")
    expect(int(rows["trips"].sum()) == int(want["trips"].sum()), "the trip counts do not match the ground truth")
    return f"{len(rows)} windows, {int(want['trips'].sum())} trips, from one partition ({zone_id}, {day})"


def check_really_dropped(answer, demo) -> str:
    """`answer` is how many late TRIPS the late-data demo dropped (not what numRowsDroppedByWatermark says)."""
    expect(answer is not None, "count the trips first: the answer is still None")
    after, before = demo.counts().iloc[:, -1], demo.counts().iloc[:, -2]
    sent_late = len(demo.steps[-1]["sent"])
    counted = int((after - before).sum())
    want = sent_late - counted
    reported = int(demo.metrics()["dropped_by_watermark"].sum())
    expect(int(answer) == want, f"{answer} is not it: {sent_late} late trips were sent and {counted} were counted")
    return (f"{want} trips dropped, while numRowsDroppedByWatermark says {reported}: it counts rows entering the "
            "state store after partial aggregation (one per group key), not input rows")


def check_borough_from_zones(answer: pd.DataFrame, borough_expected: pd.DataFrame, borough: str) -> str:
    """`answer` has window_start and trips for `borough`, summed from zone_windows rows."""
    expect(answer is not None and len(answer) > 0, "build the DataFrame first")
    got = pd.DataFrame(answer).assign(window_start=lambda d: pd.to_datetime(d["window_start"]))
    want = borough_expected[borough_expected["borough"] == borough][["window_start", "trips"]]
    merged = want.merge(got[["window_start", "trips"]], on="window_start", how="outer", suffixes=("_want", "_got"))
    bad = merged[merged["trips_want"].fillna(-1) != merged["trips_got"].fillna(-1)]
    expect(bad.empty, f"{len(bad)} windows differ from borough_windows, e.g. {bad.head(1).to_dict('records')}")
    return f"{len(want)} windows of {borough} match borough_windows"
