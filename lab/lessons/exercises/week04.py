"""Week 4 exercise checks: the learner's streaming query (memory sink, then foreachBatch into Cassandra) against
lab.truth, the Confluent frame by hand, the busiest zone window, which events a watermark drops."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from lab import config
from lab.lessons.exercises import expect


def check_schema_id(answer, value: bytes) -> str:
    """`answer` is the schema id in the 5-byte header of the Kafka value `value`."""
    expect(answer is not None, "read bytes 1–4 of the value first: the answer is still None")
    expect(value[0] == 0, "this value is not a Confluent frame (byte 0 must be 0)")
    want = int.from_bytes(value[1:5], "big")
    expect(int(answer) == want, f"{answer} is not it: bytes 1–4 are big-endian (hint: int.from_bytes(…, 'big'))")
    return f"schema id {want}: GET /schemas/ids/{want} gives the writer schema"


def check_busiest(answer, expected: pd.DataFrame) -> str:
    """`answer` = (zone_id, window_start, trips) of the zone window with the most trips."""
    expect(answer is not None and len(answer) == 3, "answer with a tuple (zone_id, window_start, trips)")
    zone_id, start, trips = answer
    top = expected["trips"].max()
    best = expected[expected["trips"] == top]
    expect(int(trips) == int(top), f"{trips} trips is not the maximum of any zone window")
    hit = best[(best["zone_id"] == int(zone_id)) & (best["window_start"] == pd.Timestamp(start))]
    expect(not hit.empty, f"zone {zone_id} at {start} does not have {top} trips")
    return f"zone {int(zone_id)} ({hit.iloc[0]['zone']}) had {top} trips in the window starting {pd.Timestamp(start)}"


def dropped(events: list[str], max_event_time: str, watermark: str, window: str = "5 minutes") -> list[str]:
    """The events a windowed aggregation drops: their window ended at or before (max event time - watermark)."""
    wm = pd.Timestamp(max_event_time) - pd.Timedelta(watermark)
    size = pd.Timedelta(window)
    return [e for e in events if pd.Timestamp(e).floor(size) + size <= wm]


def check_dropped(answer, events: list[str], max_event_time: str, watermark: str, window: str = "5 minutes") -> str:
    """`answer` lists the events (from `events`) that arrive too late and are dropped."""
    expect(answer is not None, "list the dropped events: the answer is still None")
    want = dropped(events, max_event_time, watermark, window)
    expect(
        sorted(answer) == sorted(want),
        f"not quite: the watermark is {pd.Timestamp(max_event_time) - pd.Timedelta(watermark)}; an event is dropped "
        "when its whole window ended at or before the watermark",
    )
    return f"dropped: {', '.join(want) or 'none'}"


MEASURES = ("trips", "fare_total", "revenue_total")


def compare_windows(mine: pd.DataFrame, expected: pd.DataFrame) -> list[str]:
    """What differs between the learner's zone windows and the truth's (zone_id, window_start → MEASURES)."""
    need = {"zone_id", "window_start", *MEASURES}
    if mine is None or not need <= set(mine.columns):
        return [f"the result needs the columns {sorted(need)} (got {sorted(getattr(mine, 'columns', []))})"]
    keys = ["zone_id", "window_start"]
    a = mine[list(need)].assign(
        zone_id=lambda d: d["zone_id"].astype("int64"),
        window_start=lambda d: pd.to_datetime(d["window_start"]).astype("datetime64[ns]"),
    )
    dup = int(a.duplicated(keys).sum())
    if dup:
        return [f"{dup} (zone, window) keys appear twice: keep one row per window (outputMode complete, or upserts)"]
    e = expected[list(need)].assign(window_start=lambda d: pd.to_datetime(d["window_start"]).astype("datetime64[ns]"))
    m = e.merge(a, on=keys, how="outer", suffixes=("_want", "_got"), indicator=True)
    problems = []
    if (m["_merge"] == "left_only").any():
        problems.append(
            f"{int((m['_merge'] == 'left_only').sum())} windows missing, e.g. "
            f"{m.loc[m['_merge'] == 'left_only', keys].iloc[0].to_dict()}"
        )
    if (m["_merge"] == "right_only").any():
        problems.append(f"{int((m['_merge'] == 'right_only').sum())} windows that should not exist")
    both = m[m["_merge"] == "both"]
    for col in MEASURES:
        want, got = both[f"{col}_want"].astype(float), both[f"{col}_got"].astype(float)
        bad = both[~np.isclose(want, got, rtol=1e-9, atol=1e-9)]
        if len(bad):
            row = bad.iloc[0]
            problems.append(
                f"{col} differs in {len(bad)} windows, e.g. zone {row['zone_id']} at "
                f"{row['window_start']}: "
                f"{row[f'{col}_got']} instead of {row[f'{col}_want']}"
            )
    return problems


def check_streaming_windows(
    read_trips: Callable,
    zone_windows: Callable,
    run_to_memory: Callable,
    spark,
    topic: str,
    expected: pd.DataFrame,
    window: str = "5 minutes",
    watermark: str = "10 minutes",
) -> str:
    """The learner's streaming query (readStream → frame stripped → from_avro → watermark → window aggregate), run into
    a memory sink, equals lab.truth's zone windows of the same topic."""
    trips = read_trips(spark, topic)
    expect(trips is not None and trips.isStreaming, "read_trips must return a streaming DataFrame (spark.readStream)")
    expect(
        "pickup_ts" in trips.columns and "trip_id" in trips.columns,
        f"decode the Avro record into its columns (select('t.*')); got {trips.columns}",
    )
    windows = zone_windows(trips, window, watermark)
    expect(windows is not None and windows.isStreaming, "zone_windows must return the aggregated streaming DataFrame")
    rows = run_to_memory(windows, "week04_mine")
    problems = compare_windows(rows, expected)
    expect(not problems, "; ".join(problems))
    return f"{len(rows)} zone windows, {int(rows['trips'].sum())} trips: equal to lab.truth on every window"


def check_foreach_batch(
    start_to_cassandra: Callable,
    read_trips: Callable,
    zone_windows: Callable,
    spark,
    topic: str,
    expected: pd.DataFrame,
    checkpoint: str,
    window: str = "5 minutes",
    watermark: str = "10 minutes",
) -> str:
    """The learner's foreachBatch query upserts the windows into kappa.week04_windows; read back with CQL they equal
    lab.truth, and a second run from a fresh checkpoint (every batch replayed) changes nothing."""
    import shutil

    from lab.pipeline import tables

    session = tables.connect()
    session.execute(f"TRUNCATE {config.KEYSPACE}.{config.WEEK04_TABLE}")
    for run in (1, 2):
        shutil.rmtree(checkpoint, ignore_errors=True)
        query = start_to_cassandra(zone_windows(read_trips(spark, topic), window, watermark), checkpoint)
        expect(query is not None and hasattr(query, "awaitTermination"), "return the StreamingQuery that start() gives")
        query.awaitTermination(600)
        expect(query.exception() is None, f"the query failed: {str(query.exception())[:300]}")
        table = f"{config.KEYSPACE}.{config.WEEK04_TABLE}"
        cql = f"SELECT zone_id, window_start, trips, fare_total, revenue_total FROM {table}"
        rows = pd.DataFrame([r._asdict() for r in session.execute(cql)])
        problems = compare_windows(rows, expected)
        expect(not problems, ("after a replay: " if run == 2 else "") + "; ".join(problems))
    return f"{len(rows)} windows in {config.KEYSPACE}.{config.WEEK04_TABLE} equal lab.truth, also after a full replay"


WEEK04_DDL = f"""CREATE TABLE IF NOT EXISTS {config.KEYSPACE}.{config.WEEK04_TABLE} (
    zone_id int, day date, window_start timestamp, trips bigint, fare_total double, revenue_total double,
    PRIMARY KEY ((zone_id, day), window_start)) WITH CLUSTERING ORDER BY (window_start DESC)"""


def prepare_table() -> str:
    """Create the table week 4's foreachBatch exercise writes into (the lab's, not the learner's design: week 5's)."""
    from lab.pipeline import tables

    tables.apply()  # the keyspace
    tables.connect().execute(WEEK04_DDL)
    return f"{config.KEYSPACE}.{config.WEEK04_TABLE}"
