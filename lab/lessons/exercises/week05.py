"""Week 5 exercise checks: a partition read with CQL, real dropped trips vs the metric, borough totals from zones."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from lab import config
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
    expect(
        single and not scans,
        "Cassandra did not read one partition: "
        f"{(scans or events or ['no trace'])[0]!r} (WHERE zone_id = ? AND day = ?)",
    )
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
    return (
        f"{want} trips dropped, while numRowsDroppedByWatermark says {reported}: it counts rows entering the "
        "state store after partial aggregation (one per group key), not input rows"
    )


def check_borough_from_zones(answer: pd.DataFrame, borough_expected: pd.DataFrame, borough: str) -> str:
    """`answer` has window_start and trips for `borough`, summed from zone_windows rows."""
    expect(answer is not None and len(answer) > 0, "build the DataFrame first")
    got = pd.DataFrame(answer).assign(window_start=lambda d: pd.to_datetime(d["window_start"]))
    want = borough_expected[borough_expected["borough"] == borough][["window_start", "trips"]]
    merged = want.merge(got[["window_start", "trips"]], on="window_start", how="outer", suffixes=("_want", "_got"))
    bad = merged[merged["trips_want"].fillna(-1) != merged["trips_got"].fillna(-1)]
    expect(bad.empty, f"{len(bad)} windows differ from borough_windows, e.g. {bad.head(1).to_dict('records')}")
    return f"{len(want)} windows of {borough} match borough_windows"


def _table_schema(session, table: str) -> tuple[list, list, dict, dict]:
    """(partition key columns, [(clustering column, order)], {column: type}, table options) from system_schema."""
    cols = list(
        session.execute(
            "SELECT column_name, kind, position, clustering_order, type FROM system_schema.columns "
            "WHERE keyspace_name = %s AND table_name = %s",
            (config.KEYSPACE, table),
        )
    )
    partition = [
        c.column_name for c in sorted((c for c in cols if c.kind == "partition_key"), key=lambda c: c.position)
    ]
    clustering = [
        (c.column_name, c.clustering_order)
        for c in sorted((c for c in cols if c.kind == "clustering"), key=lambda c: c.position)
    ]
    options = session.execute(
        "SELECT compaction, default_time_to_live FROM system_schema.tables "
        "WHERE keyspace_name = %s AND table_name = %s",
        (config.KEYSPACE, table),
    ).one()
    return partition, clustering, {c.column_name: c.type for c in cols}, options._asdict() if options else {}


def hourly_truth(borough_windows: pd.DataFrame) -> pd.DataFrame:
    """Trips and revenue per borough and hour, from lab.truth's borough windows."""
    b = borough_windows.assign(hour=pd.to_datetime(borough_windows["window_start"]).dt.floor("1h"))
    return b.groupby(["borough", "hour"], as_index=False).agg(
        trips=("trips", "sum"), revenue_total=("revenue_total", "sum")
    )


def check_borough_table(
    create: Callable,
    hourly: Callable,
    upsert: Callable,
    zone_windows: pd.DataFrame,
    borough_windows: pd.DataFrame,
    session=None,
) -> str:
    """The learner's table answers "revenue per borough per hour, newest first" from one partition: system_schema
    shows the keys, order, TWCS and a TTL; their upsert of their query's rows reads back equal to lab.truth from one
    partition (Cassandra's trace says so), and upserting the same rows again changes nothing."""
    from lab.pipeline import tables

    session = session or tables.connect()
    table = config.WEEK05_TABLE
    session.execute(f"DROP TABLE IF EXISTS {config.KEYSPACE}.{table}")
    create(session)
    partition, clustering, types, options = _table_schema(session, table)
    expect(partition, f"no table {config.KEYSPACE}.{table}: CREATE TABLE it (in the keyspace {config.KEYSPACE})")
    expect(
        partition == ["borough", "day"],
        f"partition key {partition}: one partition per borough and day "
        "((borough, day)), so a partition stays bounded at 24 rows",
    )
    expect(
        clustering == [("hour", "desc")],
        f"clustering {clustering}: cluster by hour, newest first (WITH CLUSTERING ORDER BY (hour DESC))",
    )
    want_types = {"borough": "text", "day": "date", "hour": "timestamp", "revenue_total": "double"}
    wrong = {c: types.get(c) for c, t in want_types.items() if types.get(c) != t}
    expect(
        not wrong and types.get("trips") in ("int", "bigint"),
        f"column types: {wrong or types.get('trips')} "
        f"(want {want_types} and trips int or bigint; a counter would add up on a replay)",
    )
    expect(
        str(options.get("compaction", {}).get("class", "")).endswith("TimeWindowCompactionStrategy"),
        "time series written once and expired together: compaction = {'class': 'TimeWindowCompactionStrategy'}",
    )
    expect((options.get("default_time_to_live") or 0) > 0, "set a default_time_to_live, so old hours expire")
    rows = hourly(zone_windows)
    truth = hourly_truth(borough_windows)
    busiest = truth.assign(day=truth["hour"].dt.normalize()).groupby(["borough", "day"])["trips"].sum().idxmax()
    borough, day = busiest[0], str(busiest[1].date())
    want = truth[(truth["borough"] == borough) & (truth["hour"].dt.normalize() == pd.Timestamp(day))]
    want = want.sort_values("hour", ascending=False)
    cql = f"SELECT hour, trips, revenue_total FROM {config.KEYSPACE}.{table} WHERE borough = %s AND day = %s"
    for attempt in ("after your upsert", "after upserting the same rows again"):
        upsert(session, rows)
        got, events = partition_read(cql, (borough, day), session)
        expect(
            any("single-partition" in e.lower() for e in events),
            f"{attempt}: not a single-partition read: {events[:3]}",
        )
        expect(len(got) == len(want), f"{attempt}: {len(got)} hours of {borough} on {day}, the truth has {len(want)}")
        expect(pd.to_datetime(got["hour"]).is_monotonic_decreasing, "hours must come back newest first")
        expect(
            [int(t) for t in got["trips"]] == [int(t) for t in want["trips"]],
            f"{attempt}: trips per hour {list(got['trips'])[:5]} ≠ truth {list(want['trips'])[:5]}"
            + (" (counted twice? an INSERT overwrites, a counter adds)" if "again" in attempt else ""),
        )
        expect(
            np.allclose(got["revenue_total"].astype(float), want["revenue_total"].astype(float), rtol=1e-9),
            f"{attempt}: revenue per hour differs from the truth",
        )
    return (
        f"{table}: (({', '.join(partition)}), hour DESC), TWCS, TTL {options['default_time_to_live']} s; "
        f"{borough} on {day}: {len(want)} hours from one partition, equal to the truth, also after a replay"
    )
