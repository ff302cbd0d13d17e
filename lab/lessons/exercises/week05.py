"""Week 5 exercise checks: a partition read with CQL, real dropped trips vs the metric, borough totals from zones."""
from __future__ import annotations

import pandas as pd

from lab.lessons.exercises import expect


def partition_read(cql: str, params: tuple, session=None) -> tuple[pd.DataFrame, list[str]]:
    """Run a CQL read with tracing on: its rows, and what Cassandra's coordinator says it did (trace events)."""
    from lab.pipeline import tables

    session = session or tables.connect()
    result = session.execute(cql, params, trace=True)
    rows = pd.DataFrame([r._asdict() for r in result])
    trace = result.get_query_trace(max_wait_sec=10)
    return rows, [e.description for e in trace.events]


def check_zone_day(cql: str, params: tuple, expected: pd.DataFrame, zone_id: int, day: str, session=None) -> str:
    """`cql` with `params` reads zone_windows for one zone and day, newest first, and Cassandra executes it as one
    single-partition query (read from its own query trace), with no ALLOW FILTERING."""
    expect(isinstance(cql, str) and cql.strip(), "return the CQL text and its parameters: (cql, (zone, day))")
    expect("allow filtering" not in cql.lower(), "no ALLOW FILTERING: name the whole partition key (zone_id and day)")
    rows, events = partition_read(cql, tuple(params), session)
    scans = [e for e in events if "single-partition" not in e.lower() and ("scan" in e.lower() or "range" in e.lower())]
    single = [e for e in events if "single-partition" in e.lower()]
    expect(single and not scans, "Cassandra did not read one partition: "
                                 f"{(scans or events or ['no trace'])[0]!r} (WHERE zone_id = ? AND day = ?)")
    expect(len(rows) > 0, f"the query returned no rows for zone {zone_id} on {day}")
    expect({"window_start", "trips"} <= set(rows.columns), "select at least window_start and trips")
    starts = pd.to_datetime(rows["window_start"])
    expect(starts.is_monotonic_decreasing, "rows must come newest first (that is the table's clustering order)")
    want = expected[(expected["zone_id"] == zone_id) & (expected["window_start"].dt.normalize() == pd.Timestamp(day))]
    expect(len(rows) == len(want), f"{len(rows)} rows, but zone {zone_id} has {len(want)} windows on {day} (no LIMIT)")
    expect(int(rows["trips"].sum()) == int(want["trips"].sum()), "the trip counts do not match the ground truth")
    return f"{len(rows)} windows, {int(want['trips'].sum())} trips, from one partition ({zone_id}, {day}): {single[0]}"


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
