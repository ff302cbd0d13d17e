"""Week 5 exercise checks: a partition read with CQL, real dropped trips vs the metric, borough totals from zones,
and a schema mismatch debugged from the quarantine and the registry (with the broken producer that causes it)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from lab import config
from lab.errors import CheckFailed, SchemaRejected
from lab.lessons.exercises import expect, learner
from lab.lessons.late import LateDemo
from lab.lessons.mismatch import Broken, broken_producer, quarantined, run_job
from lab.pipeline import schemas, tables, topics, truth


def partition_read(cql: str, params: tuple, session=None) -> tuple[pd.DataFrame, list[str]]:
    """Run a CQL read with tracing on: its rows, and what Cassandra's coordinator says it did (trace events)."""
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
    rows, events = _learner_read(cql, tuple(params), session)
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


def check_zone_day_query(zone_day_query: Callable, expected: pd.DataFrame, zone: int, day: str, session=None) -> str:
    """The learner's `zone_day_query(zone, day)` gives (CQL, parameters) that pass check_zone_day (bounded in time;
    the lab's tables module and the checks are refused)."""
    answer = learner.call(zone_day_query, zone, day, refuse=("lab.pipeline.tables.read",), hint="CQL")
    expect(
        isinstance(answer, (tuple, list)) and len(answer) == 2,
        f"return a pair (cql, parameters), not {type(answer).__name__}",
    )
    cql, params = answer
    return check_zone_day(cql, params, expected, zone, day, session)


def _learner_read(cql: str, params: tuple, session=None) -> tuple[pd.DataFrame, list[str]]:
    """partition_read of a learner's query: Cassandra's refusal becomes a check message, without its advice to add
    ALLOW FILTERING (a scan of every partition, which the lab forbids)."""
    from cassandra import InvalidRequest

    try:
        return partition_read(cql, params, session)
    except InvalidRequest as exc:
        said = str(exc).split("message=", 1)[-1].strip(' "}')
        if "allow filtering" in said.lower():
            raise CheckFailed(
                "Cassandra refused the query: without the whole partition key it would have to scan every "
                "partition and filter (its advice, ALLOW FILTERING, is exactly that scan, which the lab forbids); "
                "name the whole partition key: WHERE zone_id = ? AND day = ?"
            ) from None
        raise CheckFailed(f"Cassandra refused the query: {said.splitlines()[0] if said else exc}") from None


def _made_up_demo():
    """A late-data demo whose answer the check knows: step 2 sends four late trips, two into a window still open
    (counted) and two into one window the watermark closed (dropped); the state store dropped one row for those two
    (one group key), so numRowsDroppedByWatermark says 1."""

    t0 = pd.Timestamp("2021-01-01 12:00")
    at = [t0 + pd.Timedelta(minutes=m) for m in (1, 2, 21, 16, 18, 1, 3)]

    def progress(batch: int, rows: int, dropped: int) -> dict:
        return {
            "batchId": batch,
            "timestamp": "2021-01-01T12:30:00.000Z",
            "numInputRows": rows,
            "durationMs": {"triggerExecution": 100},
            "eventTime": {},
            "stateOperators": [{"numRowsTotal": 3, "numRowsDroppedByWatermark": dropped}],
        }

    def windows(counts: dict[str, int]) -> pd.DataFrame:
        return pd.DataFrame({"window_start": pd.to_datetime(list(counts)), "trips": list(counts.values())})

    step1 = {"2021-01-01 12:00": 2, "2021-01-01 12:20": 1}
    step2 = {**step1, "2021-01-01 12:15": 2}
    return LateDemo(
        "10 minutes",
        161,
        [
            {
                "step": "1: on time",
                "sent": [p.strftime("%H:%M") for p in at[:3]],
                "pickups": at[:3],
                "windows": windows(step1),
                "progress": [progress(1, 3, 0)],
            },
            {
                "step": "2: late",
                "sent": [p.strftime("%H:%M") for p in at[3:]],
                "pickups": at[3:],
                "windows": windows(step2),
                "progress": [progress(2, 4, 1)],
            },
        ],
    )


def _really_dropped(demo) -> tuple[int, int, int]:
    """(trips dropped, late trips sent, late trips counted) of a late-data demo."""
    after, before = demo.counts().iloc[:, -1], demo.counts().iloc[:, -2]
    sent_late = len(demo.steps[-1]["sent"])
    counted = int((after - before).sum())
    return sent_late - counted, sent_late, counted


def _really_dropped_problem(answer, demo) -> str | None:
    want, sent_late, counted = _really_dropped(demo)
    reported = int(demo.metrics()["dropped_by_watermark"].sum())
    try:
        got = int(answer)
    except (TypeError, ValueError):
        return f"answer with a number of trips, not {answer!r}"
    if got == want:
        return None
    if got == reported:
        return (
            f"{got} is what numRowsDroppedByWatermark says: it counts state rows after partial aggregation (one per "
            "window and zone), not trips; count the trips from demo.counts() and demo.steps"
        )
    if got == sent_late:
        return f"{got} is every late trip sent, but {counted} of them were counted (their windows were still open)"
    return f"{got} is not it: {sent_late} late trips were sent and {counted} were counted"


def check_really_dropped(really_dropped: Callable, demo) -> str:
    """The learner's `really_dropped(demo)` is how many late TRIPS the demo dropped (not what
    numRowsDroppedByWatermark says): on a made-up demo whose answer the check knows, then on `demo`."""

    refuse = ("lab.lessons.late.LateDemo.versus_truth",)
    made = _made_up_demo()
    problem = _really_dropped_problem(learner.call(really_dropped, made, refuse=refuse, hint="pandas"), made)
    expect(problem is None, f"on a made-up demo (4 late trips: 2 counted, 2 in one closed window): {problem}")
    problem = _really_dropped_problem(learner.call(really_dropped, demo, refuse=refuse, hint="pandas"), demo)
    expect(problem is None, f"on the demo: {problem}")
    want, _, _ = _really_dropped(demo)
    reported = int(demo.metrics()["dropped_by_watermark"].sum())
    return (
        f"{want} trips dropped, while numRowsDroppedByWatermark says {reported}: it counts rows entering the "
        "state store after partial aggregation (one per group key), not input rows"
    )


def _made_up_zone_windows() -> pd.DataFrame:
    """Zone windows whose borough sums the check knows: Manhattan's zones 161 and 162 in two windows (162 only in
    the first), Brooklyn's 61 in both."""
    w1, w2 = pd.Timestamp("2021-01-01 12:00"), pd.Timestamp("2021-01-01 12:05")
    return pd.DataFrame(
        {
            "zone_id": [161, 162, 61, 161, 61],
            "zone": ["Midtown Center", "Midtown East", "Crown Heights North", "Midtown Center", "Crown Heights North"],
            "borough": ["Manhattan", "Manhattan", "Brooklyn", "Manhattan", "Brooklyn"],
            "window_start": [w1, w1, w1, w2, w2],
            "trips": [5, 3, 7, 2, 1],
        }
    )


def _borough_problem(answer, zone_windows: pd.DataFrame, borough: str) -> str | None:
    """What is wrong with `answer` (window_start, trips of `borough`) summed from `zone_windows` (None: nothing)."""
    if not isinstance(answer, pd.DataFrame) or not {"window_start", "trips"} <= set(answer.columns):
        got = sorted(getattr(answer, "columns", [])) if isinstance(answer, pd.DataFrame) else type(answer).__name__
        return f"return a DataFrame with the columns window_start and trips (got {got})"
    if answer.empty:
        return f"no rows: keep the rows whose `borough` is {borough!r}, then sum their trips per window_start"
    got = answer.assign(window_start=pd.to_datetime(answer["window_start"]))
    if got["window_start"].duplicated().any():
        return "a window appears more than once: one row per window, the trips of its zones summed (groupby + sum)"
    mine = zone_windows[zone_windows["borough"] == borough].assign(
        window_start=lambda d: pd.to_datetime(d["window_start"])
    )
    want = mine.groupby("window_start")["trips"].sum()
    have = got.set_index("window_start")["trips"].astype(float)
    if set(have.index) != set(want.index):
        return f"windows {sorted(set(have.index) ^ set(want.index))[:3]} differ: one row per window of {borough}"
    if np.allclose(have[want.index], mine.groupby("window_start")["trips"].mean()[want.index]) and not np.allclose(
        have[want.index], want
    ):
        return "those are the zones' average trips per window: a borough's trips are its zones' trips summed"
    off = want[~np.isclose(have[want.index].to_numpy(), want.to_numpy())]
    if len(off):
        return (
            f"{len(off)} windows differ from the sum of {borough}'s zones, e.g. {off.index[0]}: "
            f"{have[off.index[0]]:g} instead of {off.iloc[0]}"
        )
    return None


BOROUGH_FROM_ZONES_REFUSED = ("lab.pipeline.tables.read", "lab.pipeline.truth.*")


def check_borough_from_zones(
    borough_from_zones: Callable, zone_windows: pd.DataFrame, borough_expected: pd.DataFrame, borough: str
) -> str:
    """The learner's `borough_from_zones(zw, borough)` sums zone windows into the borough's trips per window: on
    made-up zone windows (a zone missing from one window), then on `zone_windows`, where it must equal
    borough_windows (Spark's own grouping set). Reading borough_windows instead is refused."""

    made = _made_up_zone_windows()
    answer = learner.call(
        borough_from_zones, made.copy(), "Manhattan", refuse=BOROUGH_FROM_ZONES_REFUSED, hint="pandas"
    )
    problem = _borough_problem(answer, made, "Manhattan")
    expect(problem is None, f"on made-up zone windows (Manhattan: 5 + 3 trips, then 2): {problem}")
    answer = learner.call(
        borough_from_zones, zone_windows.copy(), borough, refuse=BOROUGH_FROM_ZONES_REFUSED, hint="pandas"
    )
    problem = _borough_problem(answer, zone_windows, borough)
    expect(problem is None, f"on zone_windows: {problem}")
    got = answer.assign(window_start=lambda d: pd.to_datetime(d["window_start"]))
    want = borough_expected[borough_expected["borough"] == borough][["window_start", "trips"]]
    want = want.assign(window_start=lambda d: pd.to_datetime(d["window_start"]))
    merged = want.merge(got[["window_start", "trips"]], on="window_start", how="outer", suffixes=("_want", "_got"))
    bad = merged[merged["trips_want"].fillna(-1) != merged["trips_got"].fillna(-1)]
    expect(bad.empty, f"{len(bad)} windows differ from borough_windows, e.g. {bad.head(1).to_dict('records')}")
    return f"{len(want)} windows of {borough} summed from its zones match borough_windows"


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
    session = session or tables.connect()
    table = config.WEEK05_TABLE
    session.execute(f"DROP TABLE IF EXISTS {config.KEYSPACE}.{table}")
    learner.call(create, session, refuse=BOROUGH_REFUSED, hint="CQL")
    partition, clustering, types, options = _table_schema(session, table)
    expect(partition, f"no table {config.KEYSPACE}.{table}: CREATE TABLE it (in the keyspace {config.KEYSPACE})")
    expect(set(partition) == {"borough", "day"}, _partition_advice(partition))
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
    rows = learner.call(hourly, zone_windows.copy(), refuse=BOROUGH_REFUSED, hint="pandas")
    truth = hourly_truth(borough_windows)
    busiest = truth.assign(day=truth["hour"].dt.normalize()).groupby(["borough", "day"])["trips"].sum().idxmax()
    borough, day = busiest[0], str(busiest[1].date())
    want = truth[(truth["borough"] == borough) & (truth["hour"].dt.normalize() == pd.Timestamp(day))]
    want = want.sort_values("hour", ascending=False)
    cql = f"SELECT hour, trips, revenue_total FROM {config.KEYSPACE}.{table} WHERE borough = %s AND day = %s"
    need = {"borough", "day", "hour", "trips", "revenue_total"}
    expect(
        isinstance(rows, pd.DataFrame) and need <= set(rows.columns),
        f"hourly_revenue must return a DataFrame with the columns {sorted(need)} "
        f"(got {sorted(getattr(rows, 'columns', []))})",
    )
    stale = _stale(rows)
    # what an earlier run wrote: the same keys, other values (the next write must overwrite them)
    learner.call(upsert, session, stale, refuse=BOROUGH_REFUSED, hint="a prepared INSERT")
    first, _ = partition_read(cql, (borough, day), session)
    expect(len(first) > 0, f"your upsert wrote nothing for {borough} on {day}")
    for attempt in ("after your upsert over an earlier run's rows", "after upserting the same rows again"):
        learner.call(upsert, session, rows, refuse=BOROUGH_REFUSED, hint="a prepared INSERT")
        got, events = partition_read(cql, (borough, day), session)
        expect(
            any("single-partition" in e.lower() for e in events),
            f"{attempt}: not a single-partition read: {events[:3]}",
        )
        expect(len(got) == len(want), f"{attempt}: {len(got)} hours of {borough} on {day}, the truth has {len(want)}")
        expect(pd.to_datetime(got["hour"]).is_monotonic_decreasing, "hours must come back newest first")
        trips_got = [int(t) for t in got["trips"]]
        kept_stale = trips_got == [int(t) for t in first["trips"]] and trips_got != [int(t) for t in want["trips"]]
        expect(
            not kept_stale,
            f"{attempt}: the hours still hold the values written before ({trips_got[:3]}…, the truth is "
            f"{[int(t) for t in want['trips']][:3]}…): a write that only inserts when the row is missing (INSERT … IF "
            "NOT EXISTS) is not an upsert; a plain INSERT (or UPDATE) overwrites the row of the same primary key",
        )
        expect(
            trips_got == [int(t) for t in want["trips"]],
            f"{attempt}: trips per hour {trips_got[:5]} ≠ truth {[int(t) for t in want['trips']][:5]}"
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


BOROUGH_REFUSED = ("lab.pipeline.tables.write", "lab.pipeline.sink.*", "lab.pipeline.truth.*")


def _partition_advice(partition: list[str]) -> str:
    """Why a partition key other than borough and day (in either order) does not answer the question well."""
    key = f"({', '.join(partition)})" if partition else "none"
    if set(partition) == {"borough"}:
        why = "one partition per borough grows forever (every hour of every day)"
    elif set(partition) == {"day"}:
        why = "one partition per day holds every borough, so a borough's day is not one partition of its own"
    elif "hour" in partition:
        why = "the hour in the partition key makes a partition of one row: a borough's day is 24 partitions to read"
    else:
        why = "a borough's day must be exactly one partition"
    return (
        f"partition key {key}: {why}; partition by borough and day (PRIMARY KEY ((borough, day), hour)), so each "
        "question reads one partition of at most 24 rows"
    )


def _stale(rows: pd.DataFrame) -> pd.DataFrame:
    """The learner's rows with other values (one trip more, revenue + 1): what an earlier run could have written."""
    out = pd.DataFrame(rows).copy()
    out["trips"] = out["trips"].astype("int64") + 1
    out["revenue_total"] = out["revenue_total"].astype(float) + 1.0
    return out


# --- debugging a schema mismatch (the scene: lab.lessons.mismatch) -------------------------------------------------


def registry_answer(schema_ids) -> dict[int, list[str]]:
    """Schema id → the subjects that hold it (walking every subject and version, as a learner would)."""
    found: dict[int, list[str]] = {int(i): [] for i in schema_ids}
    for subject in schemas.subjects():
        for version in schemas.versions(subject):
            sid = int(schemas.get(subject, version)["id"])
            if sid in found and subject not in found[sid]:
                found[sid].append(subject)
    return {k: sorted(v) for k, v in found.items()}


def expected_diagnosis(broken: Broken, rows: pd.DataFrame) -> dict[str, dict]:
    """What the quarantine rows of the scene and the registry say: per reason, records, frame id, body id, subjects."""
    # the first version of each subject: what the colleague registered (a learner may have added versions since)
    v1_id = int(schemas.get(config.subject(broken.topic), schemas.versions(config.subject(broken.topic))[0])["id"])
    v2_id = int(schemas.get(broken.topic, schemas.versions(broken.topic)[0])["id"])
    body = {"unknown_schema_id": v1_id, "undecodable": v2_id}
    holders = registry_answer(body.values())
    out = {}
    for reason, g in rows.groupby("reason"):
        ids = sorted({int(i) for i in g["schema_id"].dropna()})
        out[reason] = {
            "records": len(g),
            "frame_id": ids[0] if len(ids) == 1 else ids,
            "body_id": body.get(reason),
            "subjects": holders.get(body.get(reason), []),
            "_bodies": [bytes(v)[5:] for v in g["value"].dropna().head(20)],  # to judge another id that reads the same
        }
    return out


def _reads_the_same(schema_id, want_id: int, bodies: list[bytes]) -> bool:
    """True when the schema registered as `schema_id` reads every body using every byte, as the exercise defines the
    body's schema, like the schema `want_id` (which does): a look-alike (`long` for `int`, a timestamp without its
    logical type: the same bytes) is then an equally right answer."""
    import io

    import fastavro

    if not isinstance(schema_id, (int, np.integer)) or not bodies:
        return False
    try:
        schema = fastavro.parse_schema(schemas.by_id(int(schema_id)), named_schemas={})
    except SchemaRejected:
        return False

    def whole(body: bytes) -> bool:
        buf = io.BytesIO(body)
        try:
            fastavro.schemaless_reader(buf, schema, None)
        except Exception:  # noqa: BLE001 - a schema that does not fit the bytes
            return False
        return buf.tell() == len(body)

    return all(whole(b) for b in bodies)


def check_diagnosis(answer, expected: dict[str, dict]) -> str:
    """`answer` names, per quarantine reason, how many records, the id in their frames, the registered schema their
    bodies really are (its id) and the subjects that hold it, as `expected` (from the quarantine and the registry)."""
    expect(isinstance(answer, dict) and answer, "diagnose(topic) returned nothing: one entry per quarantine reason")
    reasons = set(expected)
    expect(
        set(answer) == reasons,
        f"the reasons are {sorted(answer)}, the quarantine of this topic says {sorted(reasons)} "
        "(group its rows by `reason`)",
    )
    for reason, want in expected.items():
        got = answer[reason] if isinstance(answer[reason], dict) else {}
        if got.get("body_id") != want["body_id"] and _reads_the_same(
            got.get("body_id"), want["body_id"], want.get("_bodies", [])
        ):
            # another registered schema reads these bytes to the same records: just as right, with its own holders
            want = {
                **want,
                "body_id": int(got["body_id"]),
                "subjects": registry_answer([got["body_id"]])[int(got["body_id"])],
            }
        for key, hint in (
            ("records", "count the quarantine rows of this reason"),
            ("frame_id", "the schema id in their frames (bytes 1–4 of `value`, or the `schema_id` column)"),
            (
                "body_id",
                "the registered schema whose decoding of the body uses every byte: ask the registry for its subjects "
                "and versions, and try each schema on the body (fastavro.schemaless_reader, then compare tell())",
            ),
            ("subjects", "the subjects that hold that schema (GET /subjects, /subjects/{s}/versions/{v})"),
        ):
            value = got.get(key)
            if key == "subjects":
                value = sorted(value) if isinstance(value, (list, tuple, set)) else value
            else:
                value = int(value) if isinstance(value, (int, np.integer)) else value
            expect(value == want[key], f"{reason}: {key} = {value!r} is not it; {hint}")
    return "; ".join(
        f"{r}: {w['records']} records framed with id {w['frame_id']}, bodies of id {w['body_id']} "
        f"(held by {', '.join(w['subjects']) or 'no subject'})"
        for r, w in sorted(expected.items())
    )


def window_rows(trips: pd.DataFrame, session=None) -> pd.DataFrame:
    """The zone_windows rows of the (zone, day) partitions these trips fall into, one partition query each."""
    from cassandra.concurrent import execute_concurrent_with_args

    session = session or tables.connect()
    keys = (
        pd.DataFrame({"zone_id": trips["pu_location_id"].astype(int), "day": trips["pickup_ts"].dt.date})
        .drop_duplicates()
        .itertuples(index=False, name=None)
    )
    query = session.prepare(f"SELECT * FROM {config.KEYSPACE}.zone_windows WHERE zone_id = ? AND day = ?")
    rows = []
    for _, result in execute_concurrent_with_args(session, query, list(keys), concurrency=32):
        rows += [r._asdict() for r in result]
    return pd.DataFrame(rows)


def _pristine(broken: Broken) -> bool:
    """Nothing was produced since the broken producer, and the job has quarantined all of it."""
    return topics.end_offsets(broken.topic) == broken.end and len(quarantined(broken.topic)) == len(broken.trips)


MISMATCH_REFUSED = ("lab.pipeline.produce.*", "lab.pipeline.truth.*")


def check_mismatch(diagnose: Callable, fix: Callable, broken: Broken) -> str:
    """The learner's `diagnose(topic)` names what went wrong (check_diagnosis), then `fix(topic, trips)` sends the
    same trips again so that the stream decodes them: the job's windows of these trips equal lab.truth's, and no
    record sent by the fix is quarantined. A scene already fixed (a second run) is set up again first."""
    if not _pristine(broken):
        print(f"ℹ️ {broken.topic} is not as the broken producer left it: the scene is set up again")
        broken = broken_producer(broken.topic, len(broken.trips))
        run_job(broken.topic)
    rows = quarantined(broken.topic)
    expect(
        len(rows) == len(broken.trips),
        f"the job quarantined {len(rows)} of {len(broken.trips)} records: run the stream cell above first",
    )
    said = check_diagnosis(
        learner.call(diagnose, broken.topic, refuse=MISMATCH_REFUSED, hint="CQL and the registry's REST API"),
        expected_diagnosis(broken, rows),
    )
    before = topics.end_offsets(broken.topic)
    learner.call(fix, broken.topic, broken.trips.copy(), refuse=MISMATCH_REFUSED, hint="a confluent_kafka Producer")
    after = topics.end_offsets(broken.topic)
    sent = sum(after.values()) - sum(before.values())
    expect(sent > 0, f"fix() sent nothing to {broken.topic}")
    run_job(broken.topic)
    new = quarantined(broken.topic)
    new = new[new["kafka_offset"] >= new["kafka_partition"].map(before).fillna(0)]
    expect(
        new.empty,
        f"{len(new)} of the {sent} records your fix sent were quarantined too: "
        f"{new.groupby(['reason', 'detail']).size().head(2).to_dict()}",
    )
    want = truth.aggregate(broken.trips)["zone_windows"]
    got = window_rows(broken.trips)
    diff = truth.compare_table("zone_windows", want, got)
    counted = int(got["trips"].sum()) if len(got) else 0
    expect(
        diff.ok,
        f"the windows of these trips count {counted} trips, {len(broken.trips)} were sent "
        f"({sent} records from your fix): {diff.summary().splitlines()[0]}",
    )
    return f"{said}. After your fix: {len(want)} windows, {counted} trips, equal to lab.truth; nothing quarantined"
