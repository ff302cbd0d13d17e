"""Week 4 exercise checks: the learner's streaming query (memory sink, then foreachBatch into Cassandra) against
lab.truth, the Confluent frame by hand, the busiest zone window, which events a watermark drops."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

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
    from lab.lessons.exercises import learner

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
    from lab.lessons.exercises import learner

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
    from lab.lessons import late

    return late.trips(pickups, ZONE, f"check-{tag}")


def send_run(topic: str, trips: list[Trip], run: int) -> int:
    """Produce run `run`'s hand-made trips into `topic`, in order (one key: one partition); how many were sent."""
    from lab.pipeline import produce

    pickups = [t.pickup for t in trips if t.run == run]
    produce.produce_frame(_frame(pickups, str(run)), topic=topic, dlq=f"{topic}-dlq", progress=False)
    return len(pickups)


def fresh_topic(topic: str) -> str:
    """(Re)create `topic` and its DLQ, empty: the check's own input."""
    from lab.pipeline import topics

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

    from lab.lessons.exercises import learner

    emitted: list[pd.DataFrame] = []

    def collect(batch, batch_id):
        emitted.append(batch.toPandas().assign(_batch=batch_id))

    progress: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="week04-check-") as checkpoint:
        for run in (1, 2):
            if run == 2:
                send_run(topic, trips, 2)
            query = (
                windows.writeStream.foreachBatch(collect)
                .outputMode("update")
                .option("checkpointLocation", checkpoint)
                .trigger(availableNow=True)
                .start()
            )
            learner.await_query(query, timeout_s, what=f"your query (run {run} over the hand-made trips)")
            progress += [p for p in query.recentProgress]
    emitted = [e for e in emitted if len(e)]
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
    from lab.lessons.exercises import learner

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

    from lab.lessons.exercises import learner
    from lab.pipeline import tables

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

    from lab.pipeline import schemas
    from lab.services import kafka

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
    from lab.pipeline import tables
    from lab.services import spark

    tables.apply()  # the keyspace
    tables.connect().execute(WEEK04_DDL)
    spark.forget_schema()  # a query started now must find the new table
    return f"{config.KEYSPACE}.{config.WEEK04_TABLE}"
