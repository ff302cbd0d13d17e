"""Week 4 exercise checks: the learner's streaming query (memory sink, then foreachBatch into Cassandra) against
lab.truth, the Confluent frame by hand, the busiest zone window, which events a watermark drops."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lab import config
from lab.errors import CheckFailed
from lab.lessons import late
from lab.lessons.exercises import expect, learner
from lab.pipeline import produce, schemas, tables, topics
from lab.services import kafka, spark


def check_schema_id(answer, value: bytes) -> str:
    """`answer` is the schema id in the 5-byte header of the Kafka value `value`."""
    expect(answer is not None, "read bytes 1–4 of the value first: the answer is still None")
    expect(value[0] == 0, "this value is not a Confluent frame (byte 0 must be 0)")
    want = int.from_bytes(value[1:5], "big")
    expect(int(answer) == want, f"{answer} is not it: bytes 1–4 are big-endian (hint: int.from_bytes(…, 'big'))")
    return f"schema id {want}: GET /schemas/ids/{want} gives the writer schema"


BUSIEST_REFUSED = ("lab.pipeline.truth.*", "lab.pipeline.tables.*")


def _busiest_made_up() -> pd.DataFrame:
    """Zone windows whose answer the check knows: zone 7 has the most trips in total (4 + 4 + 4), zone 9 the busiest
    window (9 trips at 12:05); neither the first nor the last row is the busiest."""
    starts = pd.to_datetime(["2021-01-01 12:00", "2021-01-01 12:05", "2021-01-01 12:05", "2021-01-01 12:10"])
    return pd.DataFrame(
        {
            "window_start": [starts[0], starts[1], starts[1], starts[0], starts[3]],
            "zone_id": [7, 7, 9, 3, 7],
            "zone": ["Zone 7", "Zone 7", "Zone 9", "Zone 3", "Zone 7"],
            "trips": [4, 4, 9, 1, 4],
        }
    )


def _busiest_problem(answer, zw: pd.DataFrame) -> str | None:
    """What is wrong with `answer` = (zone_id, window_start, trips) on the zone windows `zw` (None: nothing)."""
    if not isinstance(answer, (tuple, list)) or len(answer) != 3:
        return f"answer with a tuple (zone_id, window_start, trips), not {type(answer).__name__}"
    zone_id, start, trips = answer
    try:
        zone_id, start, trips = int(zone_id), pd.Timestamp(start), int(trips)
    except (TypeError, ValueError):
        return f"{answer!r}: zone_id and trips are numbers, window_start a timestamp"
    top = int(zw["trips"].max())
    if trips != top:
        if trips == int(zw.groupby("zone_id")["trips"].sum().max()):
            return (
                f"{trips} trips is a zone's total over all its windows: the question is about one zone window "
                "(one row of zw), the one with the most trips"
            )
        if trips == int(zw["trips"].min()):
            return f"{trips} trips is the fewest, not the most (sort descending, or idxmax)"
        return f"{trips} trips is not the most trips of any zone window"
    best = zw[zw["trips"] == top]
    hit = best[(best["zone_id"].astype(int) == zone_id) & (pd.to_datetime(best["window_start"]) == start)]
    if hit.empty:
        return (
            f"no zone window ({zone_id}, {start}) has {top} trips: take zone_id, window_start and trips from the same "
            "row"
        )
    return None


def check_busiest(busiest_window: Callable, zw: pd.DataFrame) -> str:
    """The learner's `busiest_window(zw)` gives (zone_id, window_start, trips) of the zone window with the most
    trips: on made-up zone windows where the busiest zone in total is not the busiest window, then on `zw`."""

    made = _busiest_made_up()
    problem = _busiest_problem(learner.call(busiest_window, made.copy(), refuse=BUSIEST_REFUSED, hint="pandas"), made)
    expect(problem is None, f"on made-up zone windows (zone 7: 4 + 4 + 4 trips, zone 9: 9 at 12:05): {problem}")
    answer = learner.call(busiest_window, zw.copy(), refuse=BUSIEST_REFUSED, hint="pandas")
    problem = _busiest_problem(answer, zw)
    expect(problem is None, f"on zw: {problem}")
    zone_id, start, trips = int(answer[0]), pd.Timestamp(answer[1]), int(answer[2])
    hit = zw[(zw["zone_id"].astype(int) == zone_id) & (pd.to_datetime(zw["window_start"]) == start)]
    name = f" ({hit.iloc[0]['zone']})" if "zone" in hit.columns and len(hit) else ""
    return f"zone {zone_id}{name} had {trips} trips in the window starting {start}"


def _dropped(events: list[str], max_event_time: str, watermark: str, window: str = "5 minutes") -> list[str]:
    """The events a windowed aggregation drops: their window ended at or before (max event time - watermark)."""
    wm = pd.Timestamp(max_event_time) - pd.Timedelta(watermark)
    size = pd.Timedelta(window)
    return [e for e in events if pd.Timestamp(e).floor(size) + size <= wm]


def check_dropped(
    dropped_events: Callable, events: list[str], max_event_time: str, watermark: str, window: str = "5 minutes"
) -> str:
    """The learner's `dropped_events()` lists the events (from `events`) that arrive too late and are dropped: those
    whose whole window ended at or before the watermark (max event time - watermark), not those merely older than
    the watermark."""

    answer = learner.call(dropped_events, refuse=("lab.lessons.late.*",), hint="the rule, by hand")
    expect(answer is not None, "list the dropped events: the answer is still None")
    expect(
        isinstance(answer, (list, tuple, set)) and all(isinstance(e, str) for e in answer),
        f"answer with a list of strings from `events`, not {answer!r}",
    )
    stray = sorted(set(answer) - set(events))
    expect(not stray, f"{stray} are not among the events (copy the strings from `events`)")
    wm = pd.Timestamp(max_event_time) - pd.Timedelta(watermark)
    size = pd.Timedelta(window)
    want = _dropped(events, max_event_time, watermark, window)
    if sorted(answer) != sorted(want):
        older = sorted(e for e in events if pd.Timestamp(e) < wm)
        kept = [e for e in answer if e not in want]
        if kept:
            e = pd.Timestamp(kept[0])
            start = e.floor(size)
            why = (
                f"{kept[0]} is older than the watermark ({wm:%H:%M}), but its window {start:%H:%M}–{start + size:%H:%M}"
                " is still open: Spark drops a late row only when its whole window ended at or before the watermark"
                if e < wm
                else f"{kept[0]} is newer than the watermark ({wm:%H:%M}): its window is open"
            )
            if sorted(answer) == older:
                why = "you dropped every event older than the watermark; " + why
            if sorted(answer) == sorted(events):
                why = f"the watermark is the max event time minus {watermark} ({wm:%H:%M}), not the max event time"
            why_not = why
        else:
            missed = [e for e in want if e not in answer][0]
            start = pd.Timestamp(missed).floor(size)
            why_not = (
                f"{missed} is dropped too: its window {start:%H:%M}–{start + size:%H:%M} ended at or before the "
                f"watermark (max event time {pd.Timestamp(max_event_time):%H:%M} - {watermark})"
            )
        expect(False, f"not quite: {why_not}")
    return f"dropped: {', '.join(want) or 'none'} (the watermark is {wm:%H:%M}; their windows ended before it)"


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


# --- hand-made late trips: the input that makes the watermark matter ----------------------------------------------

T0 = pd.Timestamp("2021-01-01 12:00:00")  # the hand-made trips' event-time origin (NY wall clock, encoded as UTC)
ZONE = 161  # one zone: every hand-made trip has the same key, so one partition keeps them in the order sent
SCENARIO_TIMEOUT_S = 300.0  # the check's own runs over the hand-made trips (availableNow: they end)
READ_REFUSED = ("lab.pipeline.stream.*", "lab.pipeline.truth.*", "lab.lessons.late.*")
WINDOWS_REFUSED = ("lab.pipeline.stream.*", "lab.pipeline.sink.*", "lab.pipeline.truth.*")


@dataclass(frozen=True)
class Trip:
    """One hand-made trip: when it is sent (run 1 or 2), its pickup time, and what a correct query does with it."""

    run: int
    pickup: pd.Timestamp
    fate: str  # "counted", "late, kept" or "dropped"
    why: str


def late_scenario(window: str = "5 minutes", watermark: str = "10 minutes") -> list[Trip]:
    """Trips in two runs whose fates a correct query decides by event time, whatever the wall clock says.

    Run 1 (on time): two trips in the first window, one in the second, and one far ahead that moves the watermark
    to `max pickup - watermark` once the run ends. Run 2 (late): one trip whose window is still open at that
    watermark (late, kept) and three whose windows ended at or before it (dropped). With 5-minute windows and a
    10-minute watermark: 12:01, 12:02, 12:06, 12:31, then 12:32 (on time), 12:23 (late, kept), 12:03, 12:04, 12:07
    (dropped: the watermark is 12:21).
    """
    w, d = pd.Timedelta(window), pd.Timedelta(watermark)
    ahead = T0 + 4 * w + d + 0.2 * w
    mark = ahead - d
    trips = [Trip(1, T0 + f * w, "counted", "on time") for f in (0.2, 0.4, 1.2)]
    trips.append(Trip(1, ahead, "counted", f"on time; moves the watermark to {mark:%H:%M}"))
    trips.append(Trip(2, ahead + 0.2 * w, "counted", f"on time; its window {ahead.floor(w):%H:%M} is updated"))
    kept = T0 + 4.6 * w
    trips.append(
        Trip(2, kept, "late, kept", f"{(ahead - kept) // pd.Timedelta(minutes=1)} min late, its window is still open")
    )
    for f in (0.6, 0.8, 1.4):
        p = T0 + f * w
        end = p.floor(w) + w
        trips.append(Trip(2, p, "dropped", f"its window ended at {end:%H:%M}, at or before the watermark {mark:%H:%M}"))
    return trips


def fates(trips: list[Trip]) -> str:
    """Each trip's fate in one line: `12:01 counted, … 12:03 dropped (…)`."""
    return "; ".join(f"{t.pickup:%H:%M} {t.fate} ({t.why})" for t in trips)


def scenario_windows(trips: list[Trip], window: str, runs: int = 2) -> pd.DataFrame:
    """zone_id, window_start, trips, fare_total, revenue_total a correct query holds after `runs` runs."""
    kept = [t.pickup for t in trips if t.run <= runs and t.fate != "dropped"]
    rows = _frame(kept, "x")
    return (
        rows.assign(window_start=rows["pickup_ts"].dt.floor(pd.Timedelta(window)).astype("datetime64[ns]"))
        .groupby("window_start", as_index=False)
        .agg(trips=("trip_id", "count"), fare_total=("fare_amount", "sum"), revenue_total=("total_amount", "sum"))
        .assign(zone_id=ZONE)
    )


def _frame(pickups: list[pd.Timestamp], tag: str) -> pd.DataFrame:

    return late.trips(pickups, ZONE, f"check-{tag}")


def send_run(topic: str, trips: list[Trip], run: int) -> int:
    """Produce run `run`'s hand-made trips into `topic`, in order (one key: one partition); how many were sent."""

    pickups = [t.pickup for t in trips if t.run == run]
    produce.produce_frame(_frame(pickups, str(run)), topic=topic, dlq=f"{topic}-dlq", progress=False)
    return len(pickups)


def fresh_topic(topic: str) -> str:
    """(Re)create `topic` and its DLQ, empty: the check's own input."""

    topics.delete_topics([topic, f"{topic}-dlq"])
    topics.ensure_topics(topic, f"{topic}-dlq")
    return topic


_WATERMARK_IN_PLAN = re.compile(r"EventTimeWatermark (\w+)#\d+: \w+, (.+)")


def _latest(rows: pd.DataFrame) -> pd.DataFrame:
    """The last version of each (zone, window) an update-mode query emitted."""
    if rows.empty:
        return rows
    rows = rows.assign(window_start=pd.to_datetime(rows["window_start"]).astype("datetime64[ns]"))
    return rows.sort_values("_batch").groupby(["zone_id", "window_start"], as_index=False).last()


def run_scenario(windows, spark, topic: str, trips: list[Trip], timeout_s: float) -> tuple[pd.DataFrame, list[dict]]:
    """Run the learner's windows DataFrame over `topic` twice, stopping in between (availableNow, one checkpoint):
    run 1 reads the on-time trips, run 2 the late ones sent after it. Returns the windows' last versions and the
    progress of every micro-batch."""
    import tempfile

    emitted: list[pd.DataFrame] = []
    progress: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="week04-check-") as checkpoint:
        for run in (1, 2):
            if run == 2:
                send_run(topic, trips, 2)
            what = f"your query (run {run} over the hand-made trips)"
            _, query = learner.run_available(windows, checkpoint, "update", timeout_s, what, into=emitted)
            progress += [p for p in query.recentProgress]
    rows = pd.concat(emitted, ignore_index=True) if emitted else pd.DataFrame(columns=["zone_id", "window_start"])
    return _latest(rows), progress


def _when(ts) -> str:
    return pd.Timestamp(ts).strftime("%H:%M")


def lateness_problem(got: pd.DataFrame, plan: dict, trips: list[Trip], window: str, watermark: str) -> str | None:
    """Why the learner's windows over the hand-made trips differ from a correct query's (None: they do not).

    The result judges; the plan (`plan_facts`: which columns the windows and the watermark are on, how long) names
    the cause."""
    want = scenario_windows(trips, window)
    need = {"zone_id", "window_start", "trips"}
    if not need <= set(got.columns):
        return f"the windows need the columns {sorted(need)} (got {sorted(got.columns)})"
    got = got[got["zone_id"].astype("int64") == ZONE]
    key = {pd.Timestamp(s): int(n) for s, n in zip(want["window_start"], want["trips"])}
    mine = {pd.Timestamp(s): int(n) for s, n in zip(got["window_start"], got["trips"])}
    if mine == key:
        return None
    story = f"The trips and their fates: {fates(trips)}"
    differ = f"your windows: {_diff(mine, key)}"
    far = [s for s in mine if abs(s - T0) > pd.Timedelta(days=1)]
    if far or not plan["windows"]:
        start = f"start at {far[0]}" if far else "are not windows of a trip column"
        return (
            f"your windows {start}, not on the trips' pickup times (2021-01-01 12:00–12:35): windows of processing "
            "time (when the rows were read) change with the wall clock; window by event time, "
            "F.window('pickup_ts', window)"
        )
    size = pd.Timedelta(window)
    lengths = {d for _, d in plan["windows"]}
    if lengths != {size}:
        return (
            f"your windows are {', '.join(_span(d) for d in sorted(lengths))} long, not {window}: use the `window` "
            f"argument ({differ})"
        )
    columns = {c for c, _ in plan["windows"]}
    if columns != {"pickup_ts"}:
        return (
            f"your windows are of {', '.join(sorted(columns))}: group by the event time the trip happened, "
            f"F.window('pickup_ts', window) ({differ})"
        )
    marks = plan["watermarks"]
    if not marks:
        return (
            f"no watermark: the trips that arrive after the watermark has passed their window were counted "
            f"({differ}); add withWatermark('pickup_ts', watermark) before the groupBy. {story}"
        )
    on = {c for c, _ in marks}
    if "pickup_ts" not in on:
        return (
            f"your watermark is on {', '.join(sorted(on))}, but the windows are of pickup_ts: Spark drops a late row "
            f"by the watermark of the column it groups by, so the late trips were counted ({differ}); use "
            f"withWatermark('pickup_ts', watermark). {story}"
        )
    delays = sorted({d for c, d in marks if c == "pickup_ts"})
    return (
        f"your watermark waits {', '.join(delays)}, the exercise's is {watermark}: a trip up to {watermark} late "
        f"must count, one whose window ended before max(pickup_ts) - {watermark} must not ({differ}); use the "
        f"`watermark` argument. {story}"
    )


_WINDOW_IN_PLAN = re.compile(
    r"precisetimestampconversion\((\w+)#\d+(?:-T\d+ms)?, TimestampType, LongType\) - \d+\) % (\d+)\)"
)


def plan_facts(df) -> dict:
    """What a streaming aggregation's analyzed plan says: {"windows": {(column, length)}, "watermarks": [(column,
    delay)]}."""
    plan = df._jdf.queryExecution().analyzed().toString()
    return {
        "windows": {(c, pd.Timedelta(microseconds=int(us))) for c, us in _WINDOW_IN_PLAN.findall(plan)},
        "watermarks": [(m.group(1), m.group(2).strip()) for m in _WATERMARK_IN_PLAN.finditer(plan)],
    }


def _span(d: pd.Timedelta) -> str:
    minutes = d / pd.Timedelta(minutes=1)
    return f"{minutes:g} minutes" if minutes >= 1 else f"{d.total_seconds():g} seconds"


def _diff(mine: dict, want: dict) -> str:
    keys = sorted(set(mine) | {pd.Timestamp(k) for k in want})
    want = {pd.Timestamp(k): int(v) for k, v in want.items()}
    parts = [
        f"{_when(k)}: {mine.get(k, 0)} trips (want {want.get(k, 0)})" for k in keys if mine.get(k, 0) != want.get(k, 0)
    ]
    return "; ".join(parts)


def check_streaming_windows(
    read_trips: Callable,
    zone_windows: Callable,
    run_to_memory: Callable,
    spark,
    topic: str,
    expected: pd.DataFrame,
    window: str = "5 minutes",
    watermark: str = "10 minutes",
    timeout_s: float | None = None,
) -> str:
    """The learner's streaming query (readStream → frame stripped → from_avro → watermark → window aggregate):

    1. run into a memory sink by their `run_to_memory`, it equals lab.truth's zone windows of `topic`;
    2. on hand-made trips sent in two runs (on time, then late: `late_scenario`), run in update mode and stopped
       in between, it counts the on-time and the late-but-kept trips and drops the ones behind the watermark.
    """

    limit = learner.TIMEOUT_S if timeout_s is None else timeout_s
    with learner.stopping_queries(spark):
        trips = learner.call(read_trips, spark, topic, refuse=READ_REFUSED, hint="readStream and from_avro")
        expect(
            trips is not None and getattr(trips, "isStreaming", False),
            "read_trips must return a streaming DataFrame (spark.readStream)",
        )
        expect(
            "pickup_ts" in trips.columns and "trip_id" in trips.columns,
            f"decode the Avro record into its columns (select('t.*')); got {trips.columns}",
        )
        windows = learner.call(
            zone_windows, trips, window, watermark, refuse=WINDOWS_REFUSED, hint="withWatermark and groupBy"
        )
        expect(
            windows is not None and getattr(windows, "isStreaming", False),
            "zone_windows must return the aggregated streaming DataFrame",
        )
        late_topic = fresh_topic(f"{topic}-late")
        scenario = late_scenario(window, watermark)
        send_run(late_topic, scenario, 1)
        late_windows = learner.call(zone_windows, learner.call(read_trips, spark, late_topic), window, watermark)
        got, _ = run_scenario(late_windows, spark, late_topic, scenario, SCENARIO_TIMEOUT_S)
        problem = lateness_problem(got, plan_facts(late_windows), scenario, window, watermark)
        expect(problem is None, f"on hand-made late trips: {problem}")
        rows = learner.call(run_to_memory, windows, "week04_mine", timeout_s=limit, refuse=WINDOWS_REFUSED)
        expect(isinstance(rows, pd.DataFrame), f"run_to_memory must return a pandas DataFrame, not {type(rows)}")
        problems = compare_windows(rows, expected)
        expect(not problems, f"on the month's trips in {topic}: " + "; ".join(problems))
    kept = [t for t in scenario if t.fate == "late, kept"]
    gone = [t for t in scenario if t.fate == "dropped"]
    return (
        f"{len(rows)} zone windows, {int(rows['trips'].sum())} trips: equal to lab.truth on every window; and on "
        f"hand-made late trips, {', '.join(_when(t.pickup) for t in kept)} counted (late, window still open) and "
        f"{', '.join(_when(t.pickup) for t in gone)} dropped by the watermark"
    )


def check_foreach_batch(
    start_to_cassandra: Callable,
    read_trips: Callable,
    zone_windows: Callable,
    spark,
    topic: str,
    checkpoint: str,
    window: str = "5 minutes",
    watermark: str = "10 minutes",
    timeout_s: float | None = None,
) -> str:
    """The learner's foreachBatch query upserts windows into kappa.week04_windows. It runs twice over hand-made
    trips, stopped in between: run 1 reads the on-time trips, run 2 only the late ones sent after it (its checkpoint
    resumes it: nothing replayed, the watermark kept). Read back with CQL, the table holds what a correct query
    counts: late trips within the watermark in, the ones behind it out.

    The query is built from the learner's read_trips and zone_windows (the lab's versions when theirs are missing
    or fail, said in an ℹ️ line)."""
    import shutil

    limit = learner.TIMEOUT_S if timeout_s is None else timeout_s
    session = tables.connect()
    table = f"{config.KEYSPACE}.{config.WEEK04_TABLE}"
    session.execute(f"TRUNCATE {table}")
    shutil.rmtree(checkpoint, ignore_errors=True)
    source = fresh_topic(f"{topic}-fb")
    scenario = late_scenario(window, watermark)
    reader = learner.fallback(read_trips, _read_trips, "read_trips")
    aggregate = learner.fallback(zone_windows, _zone_windows, "zone_windows")
    cql = f"SELECT zone_id, window_start, trips, fare_total, revenue_total FROM {table}"
    with learner.stopping_queries(spark):
        for run in (1, 2):
            sent = send_run(source, scenario, run)
            windows = aggregate(reader(spark, source), window, watermark)
            query = learner.call(
                start_to_cassandra, windows, checkpoint, refuse=WINDOWS_REFUSED, hint="writeStream.foreachBatch"
            )
            expect(
                query is not None and hasattr(query, "awaitTermination"),
                "return the StreamingQuery that start() gives",
            )
            learner.await_query(query, limit, what=f"your query (run {run})")
            read = sum(int(p.get("numInputRows") or 0) for p in query.recentProgress)
            if run == 2:
                expect(
                    read <= sent,
                    f"the second run read {read} records, but only {sent} were sent after the first run stopped: it "
                    "replayed the first run's trips from the start of the topic; give the query a checkpoint "
                    "(option('checkpointLocation', checkpoint)) so a restarted query resumes where it stopped",
                )
                expect(
                    read == sent,
                    f"the second run read {read} of the {sent} trips sent after the first run stopped: it did not "
                    "resume at the offsets the first run reached (one checkpointLocation for both runs)",
                )
            rows = pd.DataFrame([r._asdict() for r in session.execute(cql)])
            problems = compare_windows(rows, scenario_windows(scenario, window, run))
            expect(
                not problems,
                f"after run {run}: " + "; ".join(problems) + f" (the trips and their fates: {fates(scenario)})",
            )
    return (
        f"{len(rows)} windows in {table}: run 1 wrote the on-time trips, run 2 resumed from the checkpoint (only the "
        "late trips read), upserted the window a late-but-kept trip opened, and the trips behind the watermark "
        "stayed out"
    )


def _read_trips(spark, topic: str):
    """The lab's version of the exercise's read_trips (for the foreachBatch check when the learner's is missing)."""
    from pyspark.sql import functions as F
    from pyspark.sql.avro.functions import from_avro

    schema = schemas.schema_str(schemas.get(config.subject(topic))["schema"])
    raw = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", kafka.bootstrap_servers())
        .option("subscribe", topic)
        .option("startingOffsets", "earliest")
        .load()
    )
    return raw.select(from_avro(F.expr("substring(value, 6, length(value) - 5)"), schema).alias("t")).select("t.*")


def _zone_windows(trips, window: str, watermark: str):
    """The lab's version of the exercise's zone_windows."""
    from pyspark.sql import functions as F

    return (
        trips.withWatermark("pickup_ts", watermark)
        .groupBy(F.window("pickup_ts", window).alias("w"), F.col("pu_location_id").alias("zone_id"))
        .agg(
            F.count("*").alias("trips"),
            F.sum("fare_amount").alias("fare_total"),
            F.sum("total_amount").alias("revenue_total"),
        )
        .select(F.col("w.start").alias("window_start"), "zone_id", "trips", "fare_total", "revenue_total")
    )


WEEK04_DDL = f"""CREATE TABLE IF NOT EXISTS {config.KEYSPACE}.{config.WEEK04_TABLE} (
    zone_id int, day date, window_start timestamp, trips bigint, fare_total double, revenue_total double,
    PRIMARY KEY ((zone_id, day), window_start)) WITH CLUSTERING ORDER BY (window_start DESC)"""


def prepare_table() -> str:
    """Create the table week 4's foreachBatch exercise writes into (the lab's, not the learner's design: week 5's)."""

    tables.apply()  # the keyspace
    tables.connect().execute(WEEK04_DDL)
    spark.forget_schema()  # a query started now must find the new table
    return f"{config.KEYSPACE}.{config.WEEK04_TABLE}"


# --- the learner's watermark: choose the delay that drops exactly the named late trips ---------------------------

CHOICE_RUN1 = (1, 4, 7, 12, 18, 33)  # minutes after T0: on time; 12:33 sets the watermark
CHOICE_RUN2 = (34, 2, 9, 13, 22, 27)  # sent after run 1 stopped: 12:34 on time, the rest late
CHOICE_DROPPED = (2, 9)  # the late trips the learner's watermark must drop (the others late but kept)
CHOICE_DELAY = "20 minutes"  # one delay that does it (any in (18, 23] minutes does)
CHOICE_REFUSED = ("lab.pipeline.stream.*", "lab.pipeline.truth.*", "lab.lessons.late.*")


def choice_trips(delay: str = CHOICE_DELAY, window: str = "5 minutes") -> list[Trip]:
    """The watermark exercise's dozen hand-made trips, each with the fate a query of 5-minute windows and a watermark
    of `delay` on pickup_ts gives it: run 1 on time; run 2 after run 1 stopped, so its watermark is max(run 1) - delay.
    """
    w, d = pd.Timedelta(window), pd.Timedelta(delay)
    first = [T0 + pd.Timedelta(minutes=m) for m in CHOICE_RUN1]
    newest = max(first)
    mark = newest - d
    trips = [Trip(1, p, "counted", "on time") for p in first]
    for m in CHOICE_RUN2:
        p = T0 + pd.Timedelta(minutes=m)
        end = p.floor(w) + w
        if p >= newest:
            trips.append(Trip(2, p, "counted", "on time"))
        elif end <= mark:
            trips.append(
                Trip(2, p, "dropped", f"its window ended at {end:%H:%M}, at or before the watermark {mark:%H:%M}")
            )
        else:
            trips.append(Trip(2, p, "late, kept", f"its window ends at {end:%H:%M}, after the watermark {mark:%H:%M}"))
    return trips


def _tumbling(trips, window: str):
    """Trips per zone and tumbling window of pickup_ts, with no watermark of its own (the learner's decides)."""
    from pyspark.sql import functions as F

    return (
        trips.groupBy(F.window("pickup_ts", window).alias("w"), F.col("pu_location_id").alias("zone_id"))
        .agg(F.count("*").alias("trips"), F.sum("fare_amount").alias("fare_total"))
        .select(F.col("w.start").alias("window_start"), "zone_id", "trips", "fare_total")
    )


def _delay(text: str) -> pd.Timedelta | None:
    try:
        return pd.Timedelta(text)
    except (ValueError, TypeError):
        return None


def check_watermark_choice(watermarked: Callable, spark, topic: str, window: str = "5 minutes") -> str:
    """The learner's `watermarked(trips)` sets the watermark (column and delay) of a query of tumbling windows per zone
    that must drop exactly the late trips CHOICE_DROPPED of the hand-made trips (choice_trips), and count the rest.

    The query runs twice on `topic` (made fresh): run 1 the on-time trips, run 2 the late ones sent after it stopped;
    the result judges, the plan (which column, which delay) names the cause, and each trip's fate is told."""

    want = choice_trips(CHOICE_DELAY, window)
    named = ", ".join(f"{T0 + pd.Timedelta(minutes=m):%H:%M}" for m in CHOICE_DROPPED)
    source = fresh_topic(topic)
    with learner.stopping_queries(spark):
        send_run(source, want, 1)
        marked = learner.call(watermarked, _read_trips(spark, source), refuse=CHOICE_REFUSED, hint="withWatermark")
        expect(
            marked is not None and getattr(marked, "isStreaming", False),
            "watermarked must return the trips (a streaming DataFrame) with a watermark: trips.withWatermark(…)",
        )
        windows = _tumbling(marked, window)
        got, _ = run_scenario(windows, spark, source, want, SCENARIO_TIMEOUT_S)
    counted = {pd.Timestamp(s): int(n) for s, n in zip(got.get("window_start", []), got.get("trips", []))}
    truth = scenario_windows(want, window)
    target = {pd.Timestamp(s): int(n) for s, n in zip(truth["window_start"], truth["trips"])}
    marks = plan_facts(marked)["watermarks"]
    on = sorted({c for c, _ in marks})
    delays = [_delay(d) for c, d in marks if c == "pickup_ts"]
    if counted == target:
        mine = delays[0] if delays and delays[0] is not None else pd.Timedelta(CHOICE_DELAY)
        mark = max(t.pickup for t in want if t.run == 1) - mine
        told = choice_trips(str(mine), window)
        return (
            f"your watermark waits {_span(mine)}, so after run 1 it is at {mark:%H:%M}. "
            + "; ".join(
                f"{fate}: {', '.join(f'{t.pickup:%H:%M}' for t in told if t.fate == fate)}"
                for fate in ("counted", "late, kept", "dropped")
            )
            + ". Why: "
            + "; ".join(f"{t.pickup:%H:%M}: {t.why}" for t in told if t.fate != "counted")
        )
    differ = _diff(counted, target)
    expect(
        bool(marks),
        f"no watermark: every late trip was counted, {named} too ({differ}); "
        "return trips.withWatermark('pickup_ts', delay) with the delay you chose",
    )
    expect(
        "pickup_ts" in on,
        f"your watermark is on {', '.join(on)}, but the windows are of pickup_ts: Spark drops a late trip by the "
        f"watermark of the column it groups by, so {named} were counted ({differ}); put it on pickup_ts",
    )
    delay = delays[0]
    expect(delay is not None, f"your query does not drop exactly {named}: {differ}")
    theirs = choice_trips(str(delay), window)
    newest = max(t.pickup for t in want if t.run == 1)
    gone = [t for t in theirs if t.fate == "dropped"]
    lost = [f"{t.pickup:%H:%M}" for t in gone if t.pickup.minute not in CHOICE_DROPPED]
    kept = [f"{t.pickup:%H:%M}" for t in theirs if t.fate != "dropped" and t.pickup.minute in CHOICE_DROPPED]
    mark = newest - delay
    if lost:
        why = f"{', '.join(lost)} dropped too: wait longer"
    elif kept:
        why = f"{', '.join(kept)} counted: wait less"
    else:
        why = "the windows differ"
    raise CheckFailed(
        f"your watermark waits {_span(delay)}: after run 1 (newest pickup {newest:%H:%M}) it is at {mark:%H:%M}, so "
        f"{why} ({differ}). Each trip with your watermark: {fates(theirs)}"
    )


# --- window kinds: sliding windows and activity sessions, against a truth in pandas --------------------------------

KIND_PICKUPS = {161: (1, 3, 7, 16, 19, 44), 236: (2, 6, 12, 13, 31)}  # minutes after T0, per pickup zone
FLUSH = (1, 120)  # (zone, minute): one trip two hours on, so the watermark closes every window above
KINDS_REFUSED = (
    "lab.pipeline.stream.*",
    "lab.pipeline.truth.*",
    "lab.lessons.exercises.week04._sliding_truth",
    "lab.lessons.exercises.week04._session_truth",
    "lab.lessons.exercises.week04._trimmed_truth",
)


def kind_trips() -> pd.DataFrame:
    """The window-kinds exercise's hand-made trips (pickup zones 161 and 236, and the trip that flushes)."""

    parts = [late.trips([T0 + pd.Timedelta(minutes=m) for m in ms], z, f"kinds-{z}") for z, ms in KIND_PICKUPS.items()]
    parts.append(late.trips([T0 + pd.Timedelta(minutes=FLUSH[1])], FLUSH[0], "kinds-flush"))
    out = pd.concat(parts, ignore_index=True)
    out.index.name = "row"
    return out


def _closed(rows: pd.DataFrame, frame: pd.DataFrame, watermark: str) -> pd.DataFrame:
    """The windows an append-mode query has emitted once the watermark reached max(pickup) - watermark."""
    mark = frame["pickup_ts"].max() - pd.Timedelta(watermark)
    return rows[rows["window_end"] <= mark].reset_index(drop=True)


def _sliding_truth(frame: pd.DataFrame, size: str, slide: str, watermark: str, key: str = "pu_location_id"):
    """zone_id, window_start, window_end, trips of sliding windows [start, start + size), starts every `slide`."""
    size_, slide_ = pd.Timedelta(size), pd.Timedelta(slide)
    rows = []
    for zone, p in zip(frame[key], frame["pickup_ts"]):
        start = pd.Timestamp(p).floor(slide_)
        while start + size_ > p:
            rows.append((int(zone), start, start + size_))
            start -= slide_
    counts = pd.DataFrame(rows, columns=["zone_id", "window_start", "window_end"]).value_counts().rename("trips")
    return _closed(counts.reset_index(), frame, watermark)


def _session_truth(frame: pd.DataFrame, gap: str, watermark: str, key: str = "pu_location_id"):
    """zone_id, window_start, window_end, trips of activity sessions: a trip within `gap` of the session's end joins
    it (the end moves to its pickup + gap), else starts a new one."""
    g = pd.Timedelta(gap)
    rows = []
    for zone, group in frame.groupby(key):
        start = end = None
        n = 0
        for p in sorted(group["pickup_ts"]):
            if start is not None and p <= end:
                end, n = max(end, p + g), n + 1
                continue
            if start is not None:
                rows.append((int(zone), start, end, n))
            start, end, n = p, p + g, 1
        rows.append((int(zone), start, end, n))
    return _closed(pd.DataFrame(rows, columns=["zone_id", "window_start", "window_end", "trips"]), frame, watermark)


def _run_append(df, spark, timeout_s: float, what: str) -> pd.DataFrame:
    """Run an aggregation in append mode (availableNow) and collect what it emitted."""
    import tempfile

    emitted: list[pd.DataFrame] = []

    def collect(batch, batch_id):
        emitted.append(batch.toPandas())

    with tempfile.TemporaryDirectory(prefix="week04-kinds-") as checkpoint:
        try:
            query = (
                df.writeStream.foreachBatch(collect)
                .outputMode("append")
                .option("checkpointLocation", checkpoint)
                .trigger(availableNow=True)
                .start()
            )
        except Exception as exc:  # noqa: BLE001 - Spark refuses the query: say why in the learner's terms
            raise CheckFailed(f"Spark refused {what} in append mode: {learner.describe(exc)}") from None
        learner.await_query(query, timeout_s, what=what)
    emitted = [e for e in emitted if len(e)]
    return pd.concat(emitted, ignore_index=True) if emitted else pd.DataFrame()


def _rows(df: pd.DataFrame) -> set[tuple]:
    return {
        (int(z), pd.Timestamp(s), pd.Timestamp(e), int(n))
        for z, s, e, n in zip(df["zone_id"], df["window_start"], df["window_end"], df["trips"])
    }


def _judge_kind(what: str, got: pd.DataFrame, truth: pd.DataFrame, suspects: dict[str, pd.DataFrame]) -> str:
    need = {"zone_id", "window_start", "window_end", "trips"}
    expect(
        len(got) > 0,
        f"{what}: no window was written; in append mode a window is written once the watermark (the newest pickup "
        "minus the delay) has passed its end: use the `watermark` argument",
    )
    expect(
        need <= set(got.columns),
        f"{what}: the result needs the columns {sorted(need)} (got {sorted(got.columns)}); "
        "select the window's start and end as window_start, window_end",
    )
    mine, want = _rows(got), _rows(truth)
    if mine == want:
        return ""
    for cause, rows in suspects.items():
        if mine == _rows(rows):
            raise CheckFailed(f"{what}: {cause}")
    missing = sorted(want - mine)
    extra = sorted(mine - want)
    example = missing[0] if missing else extra[0]
    raise CheckFailed(
        f"{what}: {len(missing)} windows missing and {len(extra)} that should not be there, e.g. zone {example[0]} "
        f"{example[1]:%H:%M}–{example[2]:%H:%M} with {example[3]} trips"
    )


def check_window_kinds(
    sliding_counts: Callable,
    activity_sessions: Callable,
    spark,
    topic: str,
    size: str = "10 minutes",
    slide: str = "5 minutes",
    gap: str = "5 minutes",
    watermark: str = "10 minutes",
    timeout_s: float | None = None,
) -> str:
    """The learner's sliding windows and activity sessions per pickup zone, over hand-made trips in `topic` (made
    fresh) run in append mode, equal to a truth computed in pandas; a wrong answer is named by the mistaken query whose
    result it equals (tumbling, another gap, the drop-off zone) or by what Spark refused (no watermark)."""

    limit = learner.TIMEOUT_S if timeout_s is None else timeout_s
    frame = kind_trips()
    source = fresh_topic(topic)
    produce.produce_frame(frame, topic=source, dlq=f"{source}-dlq", progress=False)
    tumbling = _sliding_truth(frame, size, size, watermark)
    sliding = _sliding_truth(frame, size, slide, watermark)
    sessions = _session_truth(frame, gap, watermark)
    with learner.stopping_queries(spark):
        built = learner.call(
            sliding_counts, _read_trips(spark, source), size, slide, watermark, refuse=KINDS_REFUSED, hint="F.window"
        )
        expect(getattr(built, "isStreaming", False), "sliding_counts must return the aggregated streaming DataFrame")
        _no_watermark("sliding_counts", built)
        got = _run_append(built, spark, limit, "your sliding windows")
        _judge_kind(
            f"sliding windows of {size} every {slide}",
            got,
            sliding,
            {
                f"your windows are tumbling windows of {size} (they do not overlap): a sliding window takes a slide, "
                "F.window(ts, size, slide)": tumbling,
                f"your windows are tumbling windows of {slide}: the window is `size` long and starts every `slide`, "
                "F.window(ts, size, slide)": _sliding_truth(frame, slide, slide, watermark),
                "your windows are the drop-off zone's (do_location_id): group by the pickup zone, pu_location_id": (
                    _sliding_truth(frame, size, slide, watermark, "do_location_id")
                ),
            },
        )
        built = learner.call(
            activity_sessions, _read_trips(spark, source), gap, watermark, refuse=KINDS_REFUSED, hint="session_window"
        )
        expect(getattr(built, "isStreaming", False), "activity_sessions must return the aggregated streaming DataFrame")
        _no_watermark("activity_sessions", built)
        got = _run_append(built, spark, limit, "your sessions")
        others = {
            f"your sessions are the ones a gap of {m} minutes makes, not {gap}: use the `gap` argument, "
            "F.session_window(ts, gap)": _session_truth(frame, f"{m} minutes", watermark)
            for m in (1, 2, 3, 4, 6, 7, 8, 9, 10, 15, 20, 30)
            if pd.Timedelta(minutes=m) != pd.Timedelta(gap)
        }
        others["your sessions are the drop-off zone's (do_location_id): group by the pickup zone, pu_location_id"] = (
            _session_truth(frame, gap, watermark, "do_location_id")
        )
        others[
            f"yours are fixed windows of {gap}, not sessions: a session grows while trips keep coming, "
            "F.session_window(ts, gap)"
        ] = _sliding_truth(frame, gap, gap, watermark)
        _judge_kind(f"activity sessions with a {gap} gap", got, sessions, others)
    return (
        f"on {len(frame) - 1} hand-made trips in 2 zones: {len(tumbling)} tumbling windows of {size}, "
        f"{len(sliding)} sliding windows of {size} every {slide} (each trip in {pd.Timedelta(size) // pd.Timedelta(slide)}), "
        f"{len(sessions)} sessions with a gap of {gap} (the longest {_span(max(sessions['window_end'] - sessions['window_start']))}): "
        "equal to the truth computed in pandas"
    )


def _no_watermark(name: str, df) -> None:
    expect(
        bool(plan_facts(df)["watermarks"]),
        f"{name} has no watermark: in append mode (the only mode session windows support) Spark emits a window once "
        "the watermark has passed its end, and refuses an aggregation without one; add "
        "withWatermark('pickup_ts', watermark) before the groupBy",
    )


# --- a pandas UDF: a 20% trimmed mean of the fare per zone ---------------------------------------------------------

TRIM = 0.2  # the share of fares cut at each end (int(TRIM * n) of n fares)
FARES = {
    161: (9.5, 11.0, 12.5, 13.0, 480.0),
    236: (6.0, 7.5, 8.0, 8.5, 9.0, 9.5, 10.0, 52.0, 0.01, 75.0),
    1: (20.0,),
    2: (5.0, 7.0),
}
_PANDAS_KINDS = ("AggregateInPandas", "FlatMapGroupsInPandas", "ArrowEvalPython", "MapInPandas", "WindowInPandas")


def fare_trips() -> pd.DataFrame:
    """The UDF exercise's hand-made trips: four zones, a few fares each, with typos (480.00, 0.01, 75.00)."""

    parts = []
    for zone, fares in FARES.items():
        t = late.trips([T0 + pd.Timedelta(minutes=i) for i in range(len(fares))], zone, f"fares-{zone}")
        parts.append(t.assign(fare_amount=list(fares)))
    out = pd.concat(parts, ignore_index=True)
    cols = ["trip_id", "pickup_ts", "pu_location_id", "do_location_id", "trip_distance", "fare_amount", "total_amount"]
    return out[cols].astype({"pu_location_id": "int64", "do_location_id": "int64"})


def _trimmed_truth(frame: pd.DataFrame) -> pd.DataFrame:
    """zone_id, fare_trimmed: the mean of each zone's fares without the int(TRIM * n) lowest and highest."""
    rows = []
    for zone, group in frame.groupby("pu_location_id"):
        fares = np.sort(group["fare_amount"].to_numpy())
        k = int(TRIM * len(fares))
        rows.append((int(zone), float(fares[k : len(fares) - k].mean())))
    return pd.DataFrame(rows, columns=["zone_id", "fare_trimmed"])


def check_trimmed_fares(zone_trimmed_fares: Callable, spark, timeout_s: float | None = None) -> str:
    """The learner's `zone_trimmed_fares(trips)` (a batch DataFrame of hand-made trips) gives zone_id and fare_trimmed,
    the 20% trimmed mean fare per pickup zone, computed by a pandas UDF (grouped-agg pandas_udf or applyInPandas): the
    values equal a truth in pandas, and the physical plan runs Python in Arrow batches."""

    limit = learner.TIMEOUT_S if timeout_s is None else timeout_s
    frame = fare_trips()
    trips = spark.createDataFrame(frame)
    built = learner.call(zone_trimmed_fares, trips, refuse=KINDS_REFUSED, hint="pandas_udf")
    expect(hasattr(built, "toPandas"), f"zone_trimmed_fares must return a Spark DataFrame, not {type(built).__name__}")
    got = learner.within(built.toPandas, timeout_s=limit, what="your aggregation")
    need = {"zone_id", "fare_trimmed"}
    expect(need <= set(got.columns), f"the result needs the columns {sorted(need)} (got {sorted(got.columns)})")
    want = _trimmed_truth(frame)
    m = want.merge(got[list(need)].astype({"zone_id": "int64"}), on="zone_id", how="outer", suffixes=("", "_got"))
    expect(
        not m.isna().any(axis=None) and len(got) == len(want),
        f"zones: yours {sorted(got['zone_id'].tolist())}, want {sorted(want['zone_id'].tolist())} (group by "
        "pu_location_id)",
    )
    bad = m[~np.isclose(m["fare_trimmed"], m["fare_trimmed_got"].astype(float), rtol=1e-9, atol=1e-9)]
    if len(bad):
        row = bad.iloc[0]
        fares = sorted(FARES[int(row["zone_id"])])
        k = int(TRIM * len(fares))
        raise CheckFailed(
            f"zone {int(row['zone_id'])}: fare_trimmed {row['fare_trimmed_got']} instead of {row['fare_trimmed']:.4f} "
            f"(its fares {fares}: cut int(0.2 × {len(fares)}) = {k} at each end, then the mean of the rest)"
        )
    plan = built._jdf.queryExecution().executedPlan().toString()
    kinds = [k for k in _PANDAS_KINDS if k in plan]
    expect(
        "BatchEvalPython" not in plan,
        "the values are right, but your UDF is a row-at-a-time @udf (BatchEvalPython in the plan): each row is "
        "pickled to Python and back one by one; the exercise is a pandas UDF (@pandas_udf or applyInPandas), which "
        "gets whole Arrow batches as pandas Series",
    )
    expect(
        bool(kinds),
        "the values are right, but no pandas UDF ran (no Python in the plan): this exercise is about writing one "
        "(@pandas_udf with a Series → float, or applyInPandas); the cell after it compares it with the built-ins",
    )
    return (
        f"trimmed fares per zone {', '.join(f'{z}: {v:.2f}' for z, v in zip(want['zone_id'], want['fare_trimmed']))} "
        f"(equal to the truth), computed by {kinds[0]} (a pandas UDF over Arrow batches)"
    )
