"""The capstone (week 9, section 7): one new metric end to end, each step judged against the real stack.

The metric: how long trips from a pickup zone take, per 5-minute window of event time. The trip record gets a new
field, `duration_s` (schema v3, BACKWARD compatible), the producer fills it, a streaming job aggregates it into a new
versioned table, kappa.zone_durations_v1, keyed so that a replay upserts. `accept()` prints the rubric.
"""

from __future__ import annotations

import contextlib
import copy
import fnmatch
import json
import re
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import yaml

from lab import config
from lab.deploy import kind
from lab.errors import CheckFailed, LabError, ManifestError, SchemaRejected
from lab.lessons.exercises import NOT_SOLVED, Graded, expect, grade, learner, week07, week08, week09
from lab.observe import dashboard
from lab.pipeline import data, schemas, tables, topics, wire
from lab.services import cassandra, kafka
from lab.services import spark as spark_service

FIELD = "duration_s"
WINDOW = "5 minutes"
TABLE = "zone_durations_v1"
METRICS = ("trips", "duration_total_s", "duration_avg_s")
WINDOW_COLUMNS = {"zone_id", "day", "window_start", "window_end"}
SCHEMA_REFUSED = ("lab.pipeline.schemas.load",)
SCHEMA_HINT = "a dict: v2's fields and one more"
PRODUCE_REFUSED = ("lab.pipeline.produce.*", "lab.pipeline.wire.encode_frames", "lab.pipeline.wire.frame")
PRODUCE_HINT = "confluent-kafka's Producer and AvroSerializer"
STREAM_REFUSED = ("lab.pipeline.stream.*", "lab.pipeline.sink.*", "lab.pipeline.truth.*", "lab.lessons.replay.*")
STREAM_HINT = "spark.readStream from Kafka, from_avro, withWatermark, F.window"
RUN_TIMEOUT_S = 180.0  # one availableNow run of the learner's query over the check's sample

# The lab's own DDL of the new table (the check's stand-in when the learner's is not written yet).
DDL = """CREATE TABLE IF NOT EXISTS kappa.{table} (
  zone_id          int,
  day              date,
  window_start     timestamp,
  window_end       timestamp,
  trips            bigint,
  duration_total_s bigint,
  duration_avg_s   double,
  written_at       timestamp,
  PRIMARY KEY ((zone_id, day), window_start)
) WITH CLUSTERING ORDER BY (window_start DESC)"""


# ------------------------------------------------------------------------------------------------ the sample
def sample(n: int = 200) -> pd.DataFrame:
    """The first `n` usable trips of yellow 2021-01 (validated), as the producer sends them (v2's columns)."""
    ok, _ = data.validate(data.load("yellow", "2021-01", limit=n * 2), "2021-01")
    return ok.head(n)


def _durations(trips: pd.DataFrame) -> pd.Series:
    """The truth of the new field: whole seconds from pickup to drop-off, from the parquet's own timestamps."""
    seconds = (pd.to_datetime(trips["dropoff_ts"]) - pd.to_datetime(trips["pickup_ts"])).dt.total_seconds()
    return seconds.astype("int64")


def _truth(trips: pd.DataFrame) -> pd.DataFrame:
    """Per pickup zone and 5-minute window of pickup time: trips, summed and mean duration (pandas, no Spark)."""
    frame = pd.DataFrame(
        {
            "zone_id": trips["pu_location_id"].astype(int).to_numpy(),
            "window_start": pd.to_datetime(trips["pickup_ts"]).dt.floor(pd.Timedelta(WINDOW)).to_numpy(),
            "d": _durations(trips).to_numpy(),
        }
    )
    out = frame.groupby(["zone_id", "window_start"])["d"].agg(trips="count", duration_total_s="sum").reset_index()
    out["duration_avg_s"] = out["duration_total_s"] / out["trips"]
    return out


def v3_schema() -> dict:
    """The lab's v3: v2 and `duration_s` (a nullable long with default null)."""
    v3 = copy.deepcopy(schemas.load(schemas.V2))
    v3["doc"] = v3["doc"].replace("Version 2: adds trip_type.", "Version 3: adds duration_s.")
    v3["fields"].append(
        {"name": FIELD, "type": ["null", "long"], "default": None, "doc": "Seconds from pickup to drop-off."}
    )
    return v3


# ------------------------------------------------------------------------------------------------ 1. schema v3
def _type_changes(mine: dict, v2: dict) -> list[str]:
    theirs = {f["name"]: f for f in mine.get("fields", []) if isinstance(f, dict)}
    changed = []
    for f in v2["fields"]:
        g = theirs.get(f["name"])
        if g is None:
            changed.append(f"{f['name']} is gone")
        elif json.dumps(g.get("type"), sort_keys=True) != json.dumps(f["type"], sort_keys=True):
            changed.append(f"{f['name']} changed type from {json.dumps(f['type'])} to {json.dumps(g.get('type'))}")
    return changed


def check_schema_v3(schema_v3: Callable[[dict], dict], subject: str) -> str:
    """The learner's `schema_v3(v2)` is registered under `subject` (BACKWARD, holding v1 and v2): the registry itself
    judges compatibility; the new field must be `duration_s`, a long (nullable) with a default, and nothing else may
    change. A refusal is shown in the registry's own words, with what caused it."""
    v1, v2 = schemas.load(schemas.V1), schemas.load(schemas.V2)
    schemas.delete_subject(subject)
    schemas.set_compatibility(subject, "BACKWARD")
    schemas.register(subject, v1)
    schemas.register(subject, v2)
    mine = learner.call(schema_v3, copy.deepcopy(v2), refuse=SCHEMA_REFUSED, hint=SCHEMA_HINT)
    expect(isinstance(mine, dict) and mine.get("type") == "record", "return the v3 schema as a dict (a record)")
    old = {f["name"] for f in v2["fields"]}
    added = [f for f in mine.get("fields", []) if isinstance(f, dict) and f.get("name") not in old]
    changed = _type_changes(mine, v2)
    missing_default = [f["name"] for f in added if "default" not in f]
    try:
        schemas.register(subject, mine)
    except SchemaRejected as exc:
        said = " ".join(str(exc.message).split())[:260]
        why = []
        if missing_default:
            why.append(f"{missing_default} has no default: a v3 reader cannot fill it in v1/v2 records")
        if changed:
            why.append(f"{changed[0]}: a type change breaks every reader of the old data")
        raise CheckFailed(
            f"the registry refuses your v3 (HTTP {exc.status}): {said}" + (f" — {'; '.join(why)}" if why else "")
        ) from None
    except LabError as exc:
        raise CheckFailed(f"the registry cannot read your v3: {str(exc).splitlines()[0]}") from None
    expect(not changed, f"{'; '.join(changed[:2])}: v3 only adds a field (the registry took it, readers would not)")
    expect(
        [f.get("name") for f in added] == [FIELD],
        f"v3 adds {[f.get('name') for f in added]}: add exactly one field, {FIELD!r}",
    )
    (field,) = added
    kinds = field["type"] if isinstance(field["type"], list) else [field["type"]]
    expect(
        "long" in kinds and set(kinds) <= {"null", "long"},
        f"{FIELD} is {json.dumps(field['type'])}: whole seconds are a long (nullable: ['null', 'long'])",
    )
    expect("default" in field, f"{FIELD} has no default")
    versions = schemas.versions(subject)
    expect(versions == [1, 2, 3], f"{subject} holds versions {versions} after v3, not [1, 2, 3]")
    schema_id = schemas.get(subject, 3)["id"]
    return (
        f"v3 adds {FIELD} {json.dumps(field['type'])} with default {field['default']!r}: registered as id {schema_id}"
    )


# ------------------------------------------------------------------------------------------------ 2. producer
def _records(topic: str, expected: int, timeout_s: float = 30.0) -> list[bytes]:
    """Every record's value of `topic`, read with a plain consumer from the beginning (bounded in time)."""
    import time
    import uuid

    from confluent_kafka import Consumer

    consumer = Consumer(
        {
            "bootstrap.servers": kafka.bootstrap_servers(),
            "group.id": f"capstone-check-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    values, end, idle = [], time.monotonic() + timeout_s, 0
    try:
        while time.monotonic() < end and idle < 3:
            msg = consumer.poll(1.0)
            if msg is None:
                idle += 1 if len(values) >= expected else 0
                continue
            if not msg.error():
                values.append(msg.value())
                idle = 0
    finally:
        consumer.close()
    return values


def check_producer_v3(produce_v3: Callable, trips: pd.DataFrame, topic: str) -> str:
    """The learner's `produce_v3(trips, topic, schema)` sends every trip framed with the v3 schema (the id the
    registry gave it under `<topic>-value`), `duration_s` equal to the parquet's drop-off − pickup in whole seconds."""
    topics.delete_topics([topic])
    topics.ensure_topics(topic, f"{topic}-dlq")
    subject = config.subject(topic)
    schemas.delete_subject(subject)
    learner.call(produce_v3, trips.copy(), topic, v3_schema(), refuse=PRODUCE_REFUSED, hint=PRODUCE_HINT)
    values = _records(topic, len(trips))
    expect(values, f"{topic} is empty: produce every trip and flush() before returning")
    expect(len(values) == len(trips), f"{topic} holds {len(values)} records for {len(trips)} trips")
    ids = sorted({wire.unframe(v)[0] for v in values})
    expect(len(ids) == 1, f"the records carry schema ids {ids}: send every trip with the v3 schema")
    schema = schemas.by_id(ids[0])
    names = [f["name"] for f in schema["fields"]]
    expect(
        FIELD in names,
        f"the records are framed with schema id {ids[0]}, which has no {FIELD} (fields end with {names[-2:]}): "
        "serialize with v3",
    )
    latest = schemas.get(subject)["id"] if schemas.versions(subject) else None
    expect(latest == ids[0], f"id {ids[0]} is not the latest of {subject} ({latest}): register v3 under it")
    got = pd.Series([wire.decode(v, schema)[FIELD] for v in values])
    by_id = {wire.decode(v, schema)["trip_id"]: d for v, d in zip(values, got)}
    want = pd.Series(_durations(trips).to_numpy(), index=trips["trip_id"].to_numpy())
    expect(not got.isna().any(), f"{int(got.isna().sum())} records have {FIELD} null: fill it for every trip")
    mine = pd.Series([by_id.get(t) for t in want.index], index=want.index, dtype="float64")
    off = mine[mine != want]
    if len(off):
        t = off.index[0]
        ratio = want[t] / mine[t] if mine[t] else float("nan")
        unit = (
            " (that is minutes: the field is seconds)"
            if abs(ratio - 60) < 1.5
            else " (that is milliseconds: the field is whole seconds)"
            if abs(mine[t] / max(want[t], 1) - 1000) < 1
            else ""
        )
        expect(False, f"{len(off)} trips have a wrong {FIELD}, e.g. {t}: {mine[t]:g}, the parquet says {want[t]}{unit}")
    return f"{len(values)} trips on {topic}, all framed with v3 (id {ids[0]}), {FIELD} exact for every one"


# ------------------------------------------------------------------------------------------------ 3. DDL
def _key_of(session, table: str) -> tuple[list[str], list[str], dict]:
    cols = list(
        session.execute(
            "SELECT column_name, kind, position, type FROM system_schema.columns "
            "WHERE keyspace_name = %s AND table_name = %s",
            (config.KEYSPACE, table),
        )
    )
    ordered = sorted(cols, key=lambda c: c.position)
    part = [c.column_name for c in ordered if c.kind == "partition_key"]
    clus = [c.column_name for c in ordered if c.kind == "clustering"]
    return part, clus, {c.column_name: c.type for c in cols}


def _made_up_windows(written_at: pd.Timestamp, bump: int = 0) -> pd.DataFrame:
    """Three windows of two zones (one zone with two windows, so a key without the window overwrites)."""
    starts = pd.to_datetime(["2021-01-01 12:00", "2021-01-01 12:05", "2021-01-01 12:00"])
    return pd.DataFrame(
        {
            "zone_id": [161, 161, 237],
            "window_start": starts,
            "window_end": starts + pd.Timedelta(WINDOW),
            "day": starts.date,
            "trips": [3 + bump, 2, 5],
            "duration_total_s": [1800 + bump, 900, 2500],
            "duration_avg_s": [(1800 + bump) / (3 + bump), 450.0, 500.0],
            "written_at": written_at,
        }
    )


def _upsert(session, table: str, rows: pd.DataFrame) -> None:
    cols = list(rows.columns)
    stmt = session.prepare(
        f"INSERT INTO {config.KEYSPACE}.{table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    )
    for r in rows.itertuples(index=False):
        session.execute(
            stmt, [v.to_pydatetime() if isinstance(v, pd.Timestamp) else getattr(v, "item", lambda v=v: v)() for v in r]
        )


def check_ddl(zone_durations_ddl: Callable[[str], str], session=None) -> str:
    """The learner's `zone_durations_ddl(table)` is a CREATE TABLE for kappa.<table>: run under a scratch name, its key
    read from system_schema, then made-up windows written twice (a replay, the second time with one window corrected):
    one row per window, the last values kept."""
    session = session or cassandra.session()
    tables.apply(session)  # the keyspace
    scratch = f"capstone_ddl_{secrets.token_hex(3)}"
    cql = learner.call(zone_durations_ddl, scratch, hint="CQL: CREATE TABLE kappa.<table> (…, PRIMARY KEY (…))")
    expect(isinstance(cql, str) and "create table" in cql.lower(), "return the CREATE TABLE statement as a string")
    expect(scratch in cql, f"create the table named by the argument (kappa.{{table}}), here kappa.{scratch}")
    try:
        session.execute(cql, timeout=120)
    except Exception as exc:  # noqa: BLE001 - Cassandra's own words are what the learner needs
        raise CheckFailed(f"Cassandra refuses your CREATE TABLE: {learner.describe(exc)}") from None
    try:
        part, clus, types = _key_of(session, scratch)
        expect(part, f"no table kappa.{scratch} after your statement: create it in keyspace {config.KEYSPACE}")
        missing = [
            c for c in ("zone_id", "day", "window_start", "window_end", *METRICS, "written_at") if c not in types
        ]
        expect(not missing, f"the table lacks columns {missing}")
        odd = [c for c in part + clus if c not in WINDOW_COLUMNS]
        expect(
            not odd,
            f"the key holds {odd} ({', '.join(types[c] for c in odd)}): a replay writes new values there (a new "
            "timeuuid, a new time), so every replay inserts the windows again — duplicates; key on what identifies "
            "a window: ((zone_id, day), window_start)",
        )
        key = part + clus
        expect(
            "window_start" in key and "zone_id" in key,
            f"the key is {key}: without "
            + ("window_start" if "window_start" not in key else "zone_id")
            + " two windows share a key, and a replay overwrites one window with another",
        )
        expect(
            "zone_id" in part,
            f"the partition key is {part}: a reader asks for one zone's day, so zone_id (and day) belong in it",
        )
        first, again = pd.Timestamp("2026-01-01 00:00:01"), pd.Timestamp("2026-01-01 00:00:02")
        _upsert(session, scratch, _made_up_windows(first))
        _upsert(session, scratch, _made_up_windows(again, bump=1))  # the replay, one window corrected
        rows = pd.DataFrame([r._asdict() for r in session.execute(f"SELECT * FROM {config.KEYSPACE}.{scratch}")])
        expect(len(rows) == 3, f"3 windows written twice left {len(rows)} rows: a replay must upsert, one row a window")
        corrected = rows[(rows["zone_id"] == 161) & (rows["trips"] == 4)]
        expect(len(corrected) == 1, "the corrected window did not keep the replay's value")
    finally:
        with contextlib.suppress(Exception):
            session.execute(f"DROP TABLE IF EXISTS {config.KEYSPACE}.{scratch}", timeout=120)
    return (
        f"key {tuple(part)} + {tuple(clus)}: 3 windows written twice are 3 rows with the replay's values "
        "(a replay upserts, never duplicates)"
    )


def create_table(zone_durations_ddl: Callable[[str], str] | None, table: str = TABLE, session=None) -> str:
    """Create kappa.<table> with the learner's DDL (the lab's when theirs is missing or fails); returns whose."""
    session = session or cassandra.session()
    tables.apply(session)  # the keyspace
    session.execute(f"DROP TABLE IF EXISTS {config.KEYSPACE}.{table}", timeout=120)
    whose = "your"
    try:
        cql = zone_durations_ddl(table) if zone_durations_ddl else None
        session.execute(cql, timeout=120)
        part, clus, _ = _key_of(session, table)
        if not part or [c for c in part + clus if c not in WINDOW_COLUMNS]:
            raise LabError("a key that does not identify a window")
    except Exception:  # noqa: BLE001 - the learner's DDL is judged by its own check; here the table must be right
        session.execute(f"DROP TABLE IF EXISTS {config.KEYSPACE}.{table}", timeout=120)
        session.execute(DDL.format(table=table), timeout=120)
        whose = "the lab's"
    session.cluster.refresh_schema_metadata()
    spark_service.forget_schema()
    return f"kappa.{table} created with {whose} DDL"


# ------------------------------------------------------------------------------------------------ 4. stream + replay
def produce_sample(trips: pd.DataFrame, topic: str) -> int:
    """The check's own input: `trips` with `duration_s`, framed with v3 (registered under the topic's subject)."""
    from confluent_kafka import Producer

    topics.delete_topics([topic])
    topics.ensure_topics(topic, f"{topic}-dlq")
    subject = config.subject(topic)
    schemas.delete_subject(subject)
    v3 = v3_schema()
    schema_id = schemas.register(subject, v3)
    frame = trips.assign(**{FIELD: _durations(trips)})
    if "trip_type" not in frame:  # v2's field (green taxis only): null for yellow trips
        frame["trip_type"] = None
    values = wire.encode_frames(frame, v3, schema_id)
    producer = Producer({"bootstrap.servers": kafka.bootstrap_servers(), "enable.idempotence": True})
    for key, value in zip(frame["pu_location_id"].astype(str), values):
        producer.produce(topic, value=value, key=key)
    left = producer.flush(30)
    if left:
        raise LabError(f"{left} sample trips not delivered to {topic}: is Kafka up? `lab status`")
    return len(values)


def _watermark(df) -> tuple[str, str] | None:
    """(column, delay) of the query's watermark, read from its analysed plan (None: no watermark)."""
    plan = df._jdf.queryExecution().analyzed().toString()
    found = re.search(r"EventTimeWatermark (\w+)#\d+[^,]*, (.+)", plan)
    return (found.group(1), found.group(2).strip()) if found else None


def _read(table: str, session=None) -> pd.DataFrame:
    rows = list((session or cassandra.session()).execute(f"SELECT * FROM {config.KEYSPACE}.{table}", timeout=120))
    return pd.DataFrame([r._asdict() for r in rows])


def _compare(mine: pd.DataFrame, want: pd.DataFrame) -> list[str]:
    keys = ["zone_id", "window_start"]
    m = mine.assign(window_start=pd.to_datetime(mine["window_start"]).dt.tz_localize(None))
    joined = want.merge(m, on=keys, how="outer", suffixes=("_want", ""), indicator=True)
    problems = []
    lost, extra = joined[joined["_merge"] == "left_only"], joined[joined["_merge"] == "right_only"]
    if len(lost):
        problems.append(f"{len(lost)} windows missing (e.g. zone {lost.iloc[0].zone_id} {lost.iloc[0].window_start})")
    if len(extra):
        problems.append(f"{len(extra)} windows the trips do not have (e.g. zone {extra.iloc[0].zone_id} "
                        f"{extra.iloc[0].window_start})")  # fmt: skip
    both = joined[joined["_merge"] == "both"]
    for col in METRICS:
        a, b = pd.to_numeric(both[col], "coerce"), pd.to_numeric(both[f"{col}_want"], "coerce")
        off = both[~((a - b).abs() <= 1e-9 * b.abs().clip(lower=1))]
        if len(off):
            r = off.iloc[0]
            problems.append(f"{col} differs in {len(off)} windows (zone {r.zone_id} {r.window_start}: "
                            f"{r[col]} vs {r[col + '_want']})")  # fmt: skip
    return problems


def _run(df, table: str, checkpoint: str, timeout_s: float, what: str) -> None:
    """One availableNow run of the learner's aggregation, each micro-batch upserted into kappa.<table>."""
    from pyspark.sql import functions as F

    def upsert(batch, _batch_id):
        rows = batch.withColumn("day", F.to_date("window_start")).withColumn("written_at", F.current_timestamp())
        rows.select("zone_id", "day", "window_start", "window_end", *METRICS, "written_at").write.format(
            "org.apache.spark.sql.cassandra"
        ).options(keyspace=config.KEYSPACE, table=table).mode("append").save()

    learner.run_available(df, checkpoint, "update", timeout_s, what, each=upsert)


def check_stream_v3(
    duration_windows: Callable,
    spark,
    trips: pd.DataFrame,
    topic: str,
    table: str = TABLE,
    timeout_s: float = RUN_TIMEOUT_S,
) -> str:
    """The learner's `duration_windows(spark, topic, schema)` (a streaming DataFrame: a watermark on pickup_ts,
    5-minute windows per pickup zone, trips and duration totals) is run twice from offset 0 over the check's v3 sample
    (fresh checkpoints: two replays) into kappa.<table>; after each, the table must equal a pandas truth computed from
    the parquet, and the second replay must leave it identical."""
    schema = schemas.schema_str(v3_schema())  # the writer's schema of the check's sample
    runs = []
    with learner.stopping_queries(spark), tempfile.TemporaryDirectory(prefix="capstone-") as tmp:
        df = learner.call(duration_windows, spark, topic, schema, refuse=STREAM_REFUSED, hint=STREAM_HINT)
        expect(getattr(df, "isStreaming", False), "return the streaming DataFrame (spark.readStream …), not a batch")
        columns = set(df.columns)
        missing = sorted({"zone_id", "window_start", "window_end", *METRICS} - columns)
        expect(not missing, f"your DataFrame lacks {missing} (it has {sorted(columns)})")
        mark = _watermark(df)
        expect(
            mark is not None,
            "no watermark: a live job would keep every window's state forever; .withWatermark('pickup_ts', …) "
            "before the groupBy",
        )
        expect(mark[0] == "pickup_ts", f"the watermark is on {mark[0]}: put it on the event time, pickup_ts")
        produce_sample(trips, topic)
        want = _truth(trips)
        session = cassandra.session()
        session.execute(f"TRUNCATE {config.KEYSPACE}.{table}", timeout=120)
        for i in (1, 2):
            _run(df, table, f"{tmp}/run{i}", timeout_s, f"your query (replay {i})")
            rows = _read(table, session)
            expect(not rows.empty, f"replay {i} wrote nothing to kappa.{table}")
            cause = week09.event_time_problem(rows, trips, WINDOW)
            expect(cause is None, f"kappa.{table}: " + str(cause).replace("v2's", "the metric's"))
            problems = _compare(rows, want)
            expect(not problems, f"after replay {i}, kappa.{table} is not the truth: {'; '.join(problems[:2])}")
            runs.append(
                rows.sort_values(["zone_id", "window_start"]).reset_index(drop=True)[
                    ["zone_id", "window_start", *METRICS]
                ]
            )
    expect(runs[0].equals(runs[1]), "the second replay changed the table: a replay must leave it as it was")
    return (
        f"two replays from offset 0 wrote {len(want)} windows of {len(trips)} trips into kappa.{table}, both equal "
        f"to the pandas truth (watermark {mark[1]} on pickup_ts): replay-exact"
    )


# ------------------------------------------------------------------------------------------------ 5. panel + alert
def fill_table(trips: pd.DataFrame, table: str = TABLE, session=None) -> int:
    """kappa.<table> holding exactly the truth of `trips`' windows (what a correct step 4 leaves there)."""
    session = session or cassandra.session()
    session.execute(f"TRUNCATE {config.KEYSPACE}.{table}", timeout=120)
    rows = _truth(trips)
    starts = pd.to_datetime(rows["window_start"])
    rows = rows.assign(
        window_end=starts + pd.Timedelta(WINDOW),
        day=starts.dt.date,
        written_at=pd.Timestamp.now(tz="UTC").tz_localize(None),
    )
    _upsert(session, table, rows)
    return len(rows)


def _busiest(rows: pd.DataFrame) -> tuple[int, str]:
    """The zone and day with the most windows in the table (the check's choice for the dashboard's variables)."""
    counts = rows.assign(day=rows["day"].astype(str)).groupby(["zone_id", "day"]).size().sort_values(kind="stable")
    zone, day = counts.index[-1]
    return int(zone), str(day)


def check_duration_panel(duration_panel: Callable | dict, trips: pd.DataFrame, table: str = TABLE) -> str:
    """The learner's panel (`duration_panel()`, Grafana's JSON model) draws duration_avg_s of kappa.<table> for the
    dashboard's `zone` and `day` (variables in the CQL, the partition key named), over the time picker's range: run
    as Grafana would (lab.dashboard.run_panel) for the zone and day with the most windows, it must draw exactly that
    zone's windows' averages. The table is filled with the truth of `trips` when empty (the step stands alone)."""
    panel = (
        learner.call(duration_panel, hint="a dict in Grafana's JSON model")
        if callable(duration_panel)
        else duration_panel
    )
    expect(isinstance(panel, dict) and panel, "return the panel as a dict (Grafana's JSON model)")
    expect(panel.get("type") == "timeseries", f"panel type {panel.get('type')!r}: a timeseries (durations over time)")
    ds = panel.get("datasource")
    expect(
        isinstance(ds, dict) and dashboard.kind(panel) == "cql" and ds.get("uid") == "${DS_CASSANDRA}",
        f'the datasource is the Cassandra variable: {{"type": "{dashboard.CASSANDRA_PLUGIN}", "uid": "${{DS_CASSANDRA}}"}}',
    )
    targets = [t for t in panel.get("targets") or [] if isinstance(t, dict) and not t.get("hide")]
    expect(targets, "add a target: {'refId': 'A', 'rawQuery': True, 'queryType': 'query', 'target': 'SELECT …'}")
    for t in targets:
        cql = str(t.get("target") or "")
        read = re.search(r"\bFROM\s+kappa\.(\w+)", cql, re.IGNORECASE)
        expect(read and read.group(1) == table, f"read kappa.{table} (FROM kappa.{table})")
        expect("allow filtering" not in cql.lower(), "no ALLOW FILTERING: name the partition key with the variables")
        unset = [v for v in ("zone", "day") if not re.search(r"\$\{?" + v + r"\b", cql)]
        expect(
            not unset,
            f"name the partition key with the dashboard's variables ({', '.join(unset)} fixed or missing): "
            "zone_id = ${zone} AND day IN (${day:singlequote}), so the panel follows the selection",
        )
        expect(
            "$__timeFrom" in cql and "$__timeTo" in cql,
            "a time series follows the time picker: window_start >= $__timeFrom AND window_start <= $__timeTo",
        )
    session = cassandra.session()
    rows = _read(table, session)
    if rows.empty:
        fill_table(trips, table, session)
        rows = _read(table, session)
    zone, day = _busiest(rows)
    start = pd.Timestamp(day).timestamp()
    ctx = dashboard.Context(
        {"zone": [str(zone)], "day": [day], "DS_CASSANDRA": ["cassandra"]}, start, start + 86400, step=60
    )
    result = dashboard.run_panel(panel, ctx)
    expect(not result.error, f"the panel does not render: {result.error} (query: {result.queries})")
    expect(not result.empty, f"the panel renders no data for zone {zone} on {day}: {result.queries}")
    mine = rows[(rows["zone_id"] == zone) & (rows["day"].astype(str) == day)]
    drawn = sorted(pd.to_numeric(result.data["value"], "coerce").dropna().round(9))
    for column in ("duration_avg_s", "duration_total_s", "trips"):
        if drawn == sorted(pd.to_numeric(mine[column]).astype(float).round(9)):
            expect(column == "duration_avg_s", f"the panel draws {column}: select duration_avg_s (the mean duration)")
            return f"{panel.get('title', 'your panel')!r} draws duration_avg_s of zone {zone}'s {len(mine)} windows on {day}"
    raise CheckFailed(
        f"the panel draws {len(drawn)} values for zone {zone} on {day}, the table holds {len(mine)} windows there "
        f"(duration_avg_s {sorted(mine['duration_avg_s'].round(1))[:4]}…, drawn {[round(v, 1) for v in drawn[:4]]}…)"
    )


ALERT = "ZoneDurationsJobDown"
JOB = "zone_durations"  # the streaming query's name (its lab_spark_query_active series)
_JOB = f'lab_spark_query_active{{job="spark",query="{JOB}"}}'
_OTHER = 'lab_spark_query_active{job="spark",query="trip_windows"}'
ALERT_CASES = [
    ("the duration job runs (and so does trip_windows)", {_JOB: "1x60", _OTHER: "1x60"}, False),
    ("the duration job stopped (its gauge is 0)", {_JOB: "1x20 0x40", _OTHER: "1x60"}, True),
    ("the duration job never started (it has no series at all)", {_OTHER: "1x60"}, True),
    ("another query stopped, the duration job runs", {_JOB: "1x60", _OTHER: "0x60"}, False),
]
_ALERT_CAUSES = {
    0: "it fires while the job runs",
    1: f'it must fire when the job\'s gauge is 0: lab_spark_query_active{{query="{JOB}"}} == 0',
    2: "a job that never started (or whose process died) has no series: the rule must fire on absence too — "
    f'or absent(lab_spark_query_active{{query="{JOB}"}})',
    3: f'it fires when another query stops: select the job\'s own series, query="{JOB}"',
}


def check_duration_alert(duration_job_down: Callable | str) -> str:
    """The learner's PromQL (`duration_job_down()`), as rule ZoneDurationsJobDown with `for: 30s`, fires exactly when it
    should in promtool unit tests (one per case, with week 7's promtool runner): the job stopped or never started,
    and not while it runs or when another query stops."""
    tool = shutil.which("promtool")
    expect(tool is not None, "promtool is missing (Debian package prometheus)")
    expr = learner.call(duration_job_down, hint="PromQL") if callable(duration_job_down) else duration_job_down
    expect(isinstance(expr, str) and expr.strip(), "write the alert expression as a string")
    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp) / "rules.yml"
        rule = {"alert": ALERT, "expr": expr, "for": "30s"}
        rules.write_text(yaml.safe_dump({"groups": [{"name": "capstone", "rules": [rule]}]}))
        said = subprocess.run([tool, "check", "rules", str(rules)], capture_output=True, text=True, timeout=60)
        lines = [line.strip() for line in (said.stdout + said.stderr).splitlines() if line.strip()]
        expect(said.returncode == 0, "promtool cannot parse the expression: " + " ".join(lines[-3:]))
        wrong = _alert_cases(tool, Path(tmp), rules)
        expect(wrong is None, wrong or "")
    return f"{ALERT} fires when {JOB} stopped or never started, and only then (promtool, {len(ALERT_CASES)} cases)"


def _alert_cases(tool: str, tmp: Path, rules: Path, labels: dict | None = None) -> str | None:
    """Step 6's promtool cases on a rule file holding ZoneDurationsJobDown (whose rule adds `labels`): the first case
    it gets wrong (None: all right)."""
    for i, (what, series, fires) in enumerate(ALERT_CASES):
        found = [{}, {"query": JOB}, {"job": "spark", "query": JOB}]
        label_sets = [{**(labels or {}), **f} for f in found] if fires else [None]
        ok = any(
            week07._promtool_case(tool, tmp, rules, i, series, fires, alertname=ALERT, labels=labels)[0]
            for labels in label_sets
        )
        if not ok:
            return f"{what}: it {'did not fire' if fires else 'fired'}; {_ALERT_CAUSES[i]}"
    return None


# ------------------------------------------------------------------------------------------------ 7. overlay deploy
OVERLAY_REFUSED = ("lab.pipeline.tables.*", "lab.deploy.kube.*")  # creating the table or applying by hand
OVERLAY_HINT = "files and a kustomization.yaml over k8s/overlays/kind (configMapGenerator with behavior: merge)"
SCHEMA_JOB, CQL_VOLUME = "cassandra-schema", "cql"  # the Job applying the lab's CQL books, its volume of .cql files
PROMETHEUS, RULES_VOLUME, PROMETHEUS_CONFIG = "prometheus", "rules", "prometheus-config"
_MIGRATION = re.compile(r"^(\d+)_[A-Za-z0-9_.-]+\.cql$")  # what the Job's `${b%%_*}` turns into a version


def _mounted(docs: list[dict], kind: str, name: str, volume: str) -> tuple[dict, dict, str]:
    """(workload, its ConfigMap, mount path) of `volume` of the workload `kind`/`name` in the rendered objects."""
    workload = next((d for d in docs if d.get("kind") == kind and d["metadata"].get("name") == name), None)
    expect(workload is not None, f"no {kind} {name} in what your folder renders: keep the kind overlay whole")
    pod = workload["spec"]["template"]["spec"]
    source = next(v for v in pod.get("volumes") or [] if v.get("name") == volume)["configMap"]["name"]
    path = next(m["mountPath"] for c in pod["containers"] for m in c.get("volumeMounts") or [] if m["name"] == volume)
    cm = next((d for d in docs if d.get("kind") == "ConfigMap" and d["metadata"].get("name") == source), None)
    expect(cm is not None, f"{kind} {name} mounts ConfigMap {source}, which your folder no longer renders")
    return workload, cm, path


def _kept(cm: dict, base_cm: dict, reader: str) -> list[str]:
    """The keys `cm` adds to the kind overlay's `base_cm`; CheckFailed when one of the overlay's keys is gone or
    changed (a replace, not a merge)."""
    name, data, old = cm["metadata"]["name"], cm.get("data") or {}, base_cm.get("data") or {}
    lost = [k for k in old if k not in data]
    expect(not lost, f"ConfigMap {name} lost {', '.join(lost)}: your generator replaced the kind overlay's "
           f"ConfigMap (behavior: replace or create) and {reader} would no longer see them; use behavior: merge, "
           "which adds your key beside the others")  # fmt: skip
    changed = [k for k in old if data[k] != old[k]]
    expect(not changed, f"ConfigMap {name}: you changed {', '.join(changed)} — add a key of your own, leave the "
           "overlay's as they are")  # fmt: skip
    return [k for k in data if k not in old]


def _cql_key(statement: str) -> tuple[list[str], list[str], dict[str, str]]:
    """(partition key, clustering columns, {column: type}) of a CREATE TABLE statement, read from its text."""
    parts, depth, cur = [], 0, ""
    for ch in statement[statement.index("(") + 1 :]:  # up to the parenthesis that closes the column list
        depth += (ch in "(<") - (ch in ")>")
        if depth < 0:
            break
        if ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    parts.append(cur.strip())
    types, part, clus = {}, [], []
    for item in parts:
        key = re.match(r"PRIMARY\s+KEY\s*\((.*)\)\s*$", item, re.IGNORECASE | re.DOTALL)
        if key:
            inner = key.group(1).strip()
            if inner.startswith("("):
                close = inner.index(")")
                part = [c.strip().lower() for c in inner[1:close].split(",") if c.strip()]
                clus = [c.strip().lower() for c in inner[close + 1 :].split(",") if c.strip()]
            else:
                cols = [c.strip().lower() for c in inner.split(",") if c.strip()]
                part, clus = cols[:1], cols[1:]
            continue
        words = item.split()
        if len(words) >= 2:
            types[words[0].lower()] = words[1].lower()
            if re.search(r"PRIMARY\s+KEY\s*$", item, re.IGNORECASE):
                part = [words[0].lower()]
    return part, clus, types


def _ddl_problem(cql: str, key: str) -> tuple[str | None, tuple[list[str], list[str]]]:
    """Why the CQL of migration `key` does not create kappa.zone_durations_v1 as step 3 accepts it (None: it does)."""
    text = re.sub(r"--[^\n]*|//[^\n]*|/\*.*?\*/", " ", cql, flags=re.DOTALL)
    creates = [s.strip() for s in text.split(";") if re.match(r"\s*CREATE\s+TABLE", s, re.IGNORECASE)]
    target = re.compile(rf"CREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?(\w+\.)?\"?{TABLE}\"?\s*\(", re.IGNORECASE)
    mine = [s for s in creates if target.match(s)]
    if not mine:
        return f"{key} creates no table {TABLE} (CREATE TABLE kappa.{TABLE} …): ship your step 3 statement", ([], [])
    found = target.match(mine[0])
    if (found.group(2) or "").rstrip(".").lower() != config.KEYSPACE:
        return (f"{key} creates {(found.group(2) or '')}{TABLE}: the schema Job runs cqlsh without a keyspace, so "
                f"name it kappa.{TABLE}"), ([], [])  # fmt: skip
    if not found.group(1):
        return (f"{key} has no IF NOT EXISTS: a table already created by hand (or a re-run) stops the schema Job; "
                "every lab/cql statement says CREATE TABLE IF NOT EXISTS"), ([], [])  # fmt: skip
    part, clus, types = _cql_key(mine[0])
    missing = [c for c in ("zone_id", "day", "window_start", "window_end", *METRICS, "written_at") if c not in types]
    if missing:
        return f"kappa.{TABLE} in {key} lacks columns {missing}", (part, clus)
    odd = [c for c in part + clus if c not in WINDOW_COLUMNS]
    if odd or not {"zone_id", "window_start"} <= set(part + clus) or "zone_id" not in part:
        return (f"kappa.{TABLE} in {key} is keyed {tuple(part)} + {tuple(clus)}, not as step 3 accepts: a replay must "
                "upsert, key on what identifies a window: ((zone_id, day), window_start)"), (part, clus)  # fmt: skip
    return None, (part, clus)


def _rule_files(docs: list[dict], mount: str) -> list[str]:
    """The file patterns Prometheus loads from the rules ConfigMap's mount (its prometheus.yml's rule_files)."""
    cm = next(d for d in docs if d.get("kind") == "ConfigMap" and d["metadata"].get("name") == PROMETHEUS_CONFIG)
    files = yaml.safe_load(cm["data"]["prometheus.yml"]).get("rule_files") or []
    return [f[len(mount) :].lstrip("/") for f in files if f.startswith(mount)]


def _render_error(exc: Exception) -> str:
    """kubectl kustomize's own error in one line (its last words, without the kubectl preamble)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    said = lines[-1] if len(lines) > 1 else lines[0] if lines else str(exc)
    said = re.sub(r'^E\d{4} [\d:.]+\s+\d+ \S+\] "command failed" err=', "", said).strip('"')
    said = re.sub(r"&\{0x[0-9a-f]+[^}]*\}\s*", "", said.replace('\\"', '"').replace("\\'", "'"))
    return said[:400]


def check_overlay(write_capstone_overlay: Callable, folder, cluster=None, namespace: str | None = None) -> str:
    """The learner's `write_capstone_overlay(folder)` writes a kustomization over k8s/overlays/kind that ships the
    capstone: its DDL as the next migration of the CQL ConfigMap the schema Job applies (the overlay's own migrations
    kept: a merge), and ZoneDurationsJobDown into the rules ConfigMap Prometheus loads. Judged by kubectl kustomize
    (the whole kind overlay still there), step 3's key rules, step 6's promtool cases on the rendered rule file, and
    the practice cluster's API server: both ConfigMaps applied (server-side) into a namespace of the exercise's own and
    read back, the schema Job with them dry-run."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    learner.call(write_capstone_overlay, folder, refuse=OVERLAY_REFUSED, hint=OVERLAY_HINT)
    expect((folder / "kustomization.yaml").is_file(), f"write {folder / 'kustomization.yaml'}")
    try:
        docs = kind.render(path=folder)
    except ManifestError as exc:
        raise CheckFailed(f"kubectl kustomize {folder.name} fails: {_render_error(exc)}") from None
    job = next((d for d in docs if d.get("kind") == "Job" and d["metadata"].get("name") == SCHEMA_JOB), {})
    moved = (job.get("metadata") or {}).get("namespace", config.NAMESPACE)
    expect(moved == config.NAMESPACE, f"your overlay puts the lab into namespace {moved!r}: it runs in "
           f"{config.NAMESPACE!r} (Strimzi's operator watches it, the Job and Prometheus are there); leave `namespace:` "
           f"out of your kustomization or set {config.NAMESPACE}")  # fmt: skip
    base = week08._base_render()
    names = {(d["kind"], d["metadata"]["name"]) for d in docs}
    missing = sorted(f"{k}/{n}" for k, n in {(d["kind"], d["metadata"]["name"]) for d in base} - names)
    expect(not missing, f"{len(missing)} objects of the kind overlay are missing (e.g. {', '.join(missing[:3])}): "
           f"list the kind overlay's folder under resources (a path relative to {folder.name})")  # fmt: skip

    # the CQL: the next migration of the ConfigMap the schema Job mounts
    job, cql_cm, cql_dir = _mounted(docs, "Job", SCHEMA_JOB, CQL_VOLUME)
    _, base_cql, _ = _mounted(base, "Job", SCHEMA_JOB, CQL_VOLUME)
    added = _kept(cql_cm, base_cql, f"the schema Job ({cql_dir}/*.cql)")
    elsewhere = [
        f"{d['metadata']['name']}/{k}"
        for d in docs
        if d.get("kind") == "ConfigMap" and d["metadata"]["name"] != cql_cm["metadata"]["name"]
        for k, v in (d.get("data") or {}).items()
        if TABLE in v and "create table" in v.lower()
    ]
    read = [k for k in added if _MIGRATION.match(k)]
    expect(read, f"ConfigMap {cql_cm['metadata']['name']} (the schema Job's {cql_dir}) has no new migration "
           + (f"(you added {added}): " if added else f"(your DDL is in {elsewhere[0]}, which no Job reads): "
              if elsewhere else ": ")
           + f"the Job applies {cql_dir}/*.cql in name order, its version the number before '_': add e.g. "
           f"005_zone_durations.cql")  # fmt: skip
    versions = {int(_MIGRATION.match(k).group(1)) for k in base_cql["data"]}
    (key, *more) = read
    version = int(_MIGRATION.match(key).group(1))
    expect(not more, f"you added {read}: one migration, one file")
    expect(version > max(versions), f"{key} is version {version}, already taken ({sorted(versions)}): the Job "
           f"skips an applied version or stops on its changed checksum — number it {max(versions) + 1:03d}")  # fmt: skip
    problem, (part, clus) = _ddl_problem(cql_cm["data"][key], key)
    expect(problem is None, problem or "")

    # the alert: a new rule file in the ConfigMap Prometheus loads
    _, rules_cm, rules_dir = _mounted(docs, "Deployment", PROMETHEUS, RULES_VOLUME)
    _, base_rules, _ = _mounted(base, "Deployment", PROMETHEUS, RULES_VOLUME)
    new_rules = _kept(rules_cm, base_rules, f"Prometheus ({rules_dir})")
    patterns = _rule_files(docs, rules_dir)
    holding = [k for k in new_rules if ALERT in rules_cm["data"][k]]
    expect(holding, f"no rule {ALERT} in a new key of ConfigMap {rules_cm['metadata']['name']} (you added "
           f"{new_rules or 'none'}): add your step 6 rule file there")  # fmt: skip
    rule_key = holding[0]
    expect(any(fnmatch.fnmatch(rule_key, p) for p in patterns), f"{rule_key} holds {ALERT}, but Prometheus loads only "
           f"{', '.join(f'{rules_dir}/{p}' for p in patterns)}: name it e.g. capstone.yml")  # fmt: skip
    tool = shutil.which("promtool")
    expect(tool is not None, "promtool is missing (Debian package prometheus)")
    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp) / rule_key
        rules.write_text(rules_cm["data"][rule_key])
        said = subprocess.run([tool, "check", "rules", str(rules)], capture_output=True, text=True, timeout=60)
        lines = [line.strip() for line in (said.stdout + said.stderr).splitlines() if line.strip()]
        expect(said.returncode == 0, f"promtool refuses {rule_key}: " + " ".join(lines[-3:]))
        groups = (yaml.safe_load(rules.read_text()) or {}).get("groups") or []
        rule = next(r for g in groups for r in g.get("rules") or [] if r.get("alert") == ALERT)
        wrong = _alert_cases(tool, Path(tmp), rules, {k: str(v) for k, v in (rule.get("labels") or {}).items()})
        expect(wrong is None, f"the rendered {rule_key} (for: {rule.get('for', '0s')}): {wrong}")

    # the API server: both ConfigMaps applied and read back, the schema Job dry-run with them
    cluster = cluster or week08.checked_cluster()
    namespace = namespace or week08.exercise_namespace("capstone-overlay", cluster)
    maps = [cql_cm, rules_cm]
    week08._apply(cluster, maps, namespace)
    for cm in maps:
        name = cm["metadata"]["name"]
        back = (cluster.api.get("v1", "ConfigMap", name, namespace) or {}).get("data") or {}
        expect(back == cm["data"], f"ConfigMap {name} read back from the API server differs from what you rendered "
               f"(keys {sorted(back)})")  # fmt: skip
    week08._apply(cluster, [job], namespace, dry_run=True)
    return (
        f"{len(docs)} objects render from {folder.name}: the kind overlay whole; {key} (version {version}) creates "
        f"kappa.{TABLE} keyed {tuple(part)} + {tuple(clus)} beside {len(versions)} migrations kept; {rule_key} holds "
        f"{ALERT} (promtool, {len(ALERT_CASES)} cases); the API server took both ConfigMaps and the schema Job "
        f"({cluster.name}, namespace {namespace})"
    )


# ------------------------------------------------------------------------------------------------ the rubric
RUBRIC = (
    ("schema", "v3 schema, BACKWARD compatible", "the real registry registers it after v1 and v2"),
    ("producer", "the producer sends v3", f"a consumer reads every record: v3's id, {FIELD} exact vs the parquet"),
    ("ddl", "versioned table, keyed for upserts", "system_schema's key; windows written twice stay one row each"),
    ("stream", "streaming job, exact and replay-exact", "two replays from offset 0, each equal to a pandas truth"),
    ("panel", "a dashboard panel of the metric", "run as Grafana would, for one zone and day: exactly its averages"),
    ("alert", "an alert on the job", "promtool unit tests: fires when the job is down or absent, only then"),
    ("overlay", "the overlay deploy", "kubectl kustomize over the kind overlay, then the real API server takes it"),
)


def accept(**results: Graded | Callable[[], str] | None) -> bool:
    """The acceptance suite: one rubric row per criterion (what, how it is judged, ✅/❌/⏳ and why). A criterion is a
    grade cell's result (`Graded`), or a zero-argument check run now; one not given is ⏳. True when every one passed."""

    lines = ["| # | criterion | judged by | verdict |", "|---|---|---|---|"]
    passed = 0
    for i, (name, what, how) in enumerate(RUBRIC, 1):
        got = results.get(name)
        if callable(got) and not isinstance(got, Graded):
            got = grade(got)
        verdict = (got.line if isinstance(got, Graded) else NOT_SOLVED).replace("|", "/")
        passed += bool(got)
        lines.append(f"| {i} | {what} | {how} | {verdict} |")
    lines.append(f"\n**{passed} of {len(RUBRIC)} criteria met**")
    _show("\n".join(lines))
    return passed == len(RUBRIC)


def _show(markdown: str) -> None:
    """Markdown in a notebook, the plain table elsewhere (a terminal, the tests)."""
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display
    except ImportError:
        get_ipython = None
    if get_ipython is None or get_ipython() is None:
        print(markdown)
        return
    display(Markdown(markdown))
