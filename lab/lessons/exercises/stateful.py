"""Alerts from the stream itself (week 7): a stream–stream join, custom state with an event-time timeout, and Spark
writing Confluent-framed Avro back to Kafka — each judged on hand-made events whose times the check controls, against
a pandas truth, and by the state rows the query's progress reports."""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable

import pandas as pd

from lab import config
from lab.lessons import late
from lab.lessons.exercises import expect, learner
from lab.lessons.exercises.week04 import _read_trips, fresh_topic
from lab.pipeline import produce, schemas, topics
from lab.services import kafka, schema_registry

SCENARIO_TIMEOUT_S = 120.0  # the check's own runs over the hand-made events (availableNow: they end)
REFUSED = ("lab.pipeline.stream.*", "lab.pipeline.truth.*", "lab.lessons.late.*")
PU_ZONE, DO_ZONE = 161, 43  # the hand-made trips' pickup and drop-off zones (late.trips' sample trip goes to 43)


def topics_made(topic: str) -> list[str]:
    """Every topic the checks of this module make from `topic` (for a caller that cleans up after them)."""
    made = [f"{topic}-{part}" for part in ("trips", "surges", "fares")]
    return [*made, *(f"{t}-dlq" for t in made), f"{topic}-anomalies"]


def _trips(rows: list[tuple[int, str, float]], tag: str) -> pd.DataFrame:
    """Hand-made trips: (pickup zone, pickup time "HH:MM" on 2021-01-01, fare) each; drop-off zone DO_ZONE."""

    frames = []
    for i, (zone, at, fare) in enumerate(rows):
        one = late.trips([pd.Timestamp(f"2021-01-01 {at}")], zone, f"{tag}-{i}")
        extra = float(one["total_amount"].iloc[0] - one["fare_amount"].iloc[0])
        frames.append(one.assign(fare_amount=float(fare), total_amount=float(fare) + extra))
    out = pd.concat(frames, ignore_index=True)
    out["trip_id"] = [f"check-{tag}-{i}" for i in range(len(out))]
    out.index.name = "row"
    return out


def _send_trips(topic: str, frame: pd.DataFrame) -> int:

    produce.produce_frame(frame, topic=topic, dlq=f"{topic}-dlq", progress=False)
    return len(frame)


def _progress(query) -> list[dict]:
    return [p for p in query.recentProgress]


def _state_rows(progress: list[dict]) -> int | None:
    """numRowsTotal summed over the state operators of the last micro-batch (None: no stateful operator)."""
    if not progress:
        return None
    ops = progress[-1].get("stateOperators") or []
    return sum(int(o.get("numRowsTotal") or 0) for o in ops) if ops else None


def _run(df, checkpoint: str, name: str, timeout_s: float) -> tuple[pd.DataFrame, list[dict]]:
    """One availableNow run of `df` (append mode) into a list; the rows it emitted and its progress."""
    rows, query = learner.run_available(df, checkpoint, "append", timeout_s, f"your query ({name})")
    return (pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()), _progress(query)


# ------------------------------------------------------------------------------------- 1. stream–stream join
SURGE_SCHEMA = "surge_id STRING, zone_id INT, starts_at TIMESTAMP, multiplier DOUBLE"
# (run, surge_id, zone, starts at, multiplier) and (run, pickup zone, pickup time, fare): run 2 is far ahead and moves
# both watermarks past every row of run 1.
SURGES = [
    (1, "s1", PU_ZONE, "12:00", 1.5),
    (1, "s2", DO_ZONE, "12:20", 2.0),
    (1, "s3", PU_ZONE, "12:20", 1.2),
    (2, "s4", PU_ZONE, "13:00", 1.8),
]
JOIN_TRIPS = [(1, PU_ZONE, "12:02", 8.0), (1, PU_ZONE, "12:08", 9.0), (1, PU_ZONE, "12:12", 10.0)]
JOIN_TRIPS += [(1, PU_ZONE, "12:25", 11.0), (2, PU_ZONE, "13:05", 12.0)]


def read_surges(spark, topic: str):
    """Surge notices (JSON values in `topic`) as a streaming DataFrame: surge_id, zone_id, starts_at, multiplier."""
    from pyspark.sql import functions as F

    raw = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", kafka.bootstrap_servers())
        .option("subscribe", topic)
        .option("startingOffsets", "earliest")
        .load()
    )
    return raw.select(F.from_json(F.col("value").cast("string"), SURGE_SCHEMA).alias("s")).select("s.*")


def send_surges(topic: str, run: int) -> int:
    """Produce run `run`'s surge notices into `topic` as JSON (key: the zone)."""
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": kafka.bootstrap_servers()})
    sent = 0
    for r, sid, zone, at, mult in SURGES:
        if r == run:
            value = {"surge_id": sid, "zone_id": zone, "starts_at": f"2021-01-01T{at}:00", "multiplier": mult}
            producer.produce(topic, key=str(zone), value=json.dumps(value))
            sent += 1
    expect(producer.flush(30) == 0, f"the surge notices did not all reach {topic}")
    return sent


def surge_truth(duration: str) -> pd.DataFrame:
    """trip_id, surge_id, multiplier of every trip picked up in its pickup zone during a surge (pandas, by hand)."""
    length = pd.Timedelta(duration)
    trips = _trips([(z, at, f) for _, z, at, f in JOIN_TRIPS], "join")
    surges = pd.DataFrame(SURGES, columns=["run", "surge_id", "zone_id", "at", "multiplier"])
    surges["starts_at"] = pd.to_datetime("2021-01-01 " + surges["at"])
    m = trips.merge(surges, left_on="pu_location_id", right_on="zone_id")
    m = m[(m["pickup_ts"] >= m["starts_at"]) & (m["pickup_ts"] < m["starts_at"] + length)]
    return m[["trip_id", "surge_id", "multiplier"]].sort_values(["trip_id", "surge_id"]).reset_index(drop=True)


def _pairs(rows: pd.DataFrame) -> set[tuple[str, str]]:
    return {(str(t), str(s)) for t, s in zip(rows["trip_id"], rows["surge_id"])} if len(rows) else set()


def _label(trip_id: str) -> str:
    """`12:02` for a hand-made join trip id."""
    index = int(str(trip_id).rsplit("-", 1)[-1])
    return JOIN_TRIPS[index][2] if index < len(JOIN_TRIPS) else str(trip_id)


def _say(pairs: set[tuple[str, str]]) -> str:
    return ", ".join(f"{_label(t)}×{s}" for t, s in sorted(pairs)) or "none"


def _join_plan(df) -> dict:
    plan = df._jdf.queryExecution().analyzed().toString()
    return {"watermarks": re.findall(r"EventTimeWatermark (\w+)#\d+", plan)}


def check_surge_join(
    surge_trips: Callable,
    spark,
    topic: str,
    watermark: str = "10 minutes",
    duration: str = "10 minutes",
    timeout_s: float | None = None,
) -> str:
    """The learner's `surge_trips(trips, surges, watermark, duration)` joins trips with the surge notice of their
    pickup zone that was on at pickup time (starts_at <= pickup_ts < starts_at + duration), with watermarks on both
    streams. Two runs (availableNow, one checkpoint): run 1 the 12:00–12:25 events, run 2 one surge and one trip at
    13:00–13:05 that move both watermarks past run 1. The matches equal a pandas truth, and after run 2 the join's
    state holds only run 2's rows: run 1's were dropped once no later row could match them."""

    limit = learner.TIMEOUT_S if timeout_s is None else timeout_s
    trips_topic = fresh_topic(f"{topic}-trips")
    surges_topic = fresh_topic(f"{topic}-surges")
    frame = _trips([(z, at, f) for _, z, at, f in JOIN_TRIPS], "join")
    runs = [r for r, *_ in JOIN_TRIPS]
    want = surge_truth(duration)
    got, states, sent = [], [], {}
    with learner.stopping_queries(spark), tempfile.TemporaryDirectory(prefix="surge-check-") as checkpoint:
        for run in (1, 2):
            sent[run] = _send_trips(trips_topic, frame[[r == run for r in runs]]) + send_surges(surges_topic, run)
            trips = _read_trips(spark, trips_topic)
            joined = learner.call(
                surge_trips,
                trips,
                read_surges(spark, surges_topic),
                watermark,
                duration,
                refuse=REFUSED,
                hint="withWatermark on both streams and join(…, expr)",
                timeout_s=limit,
            )
            expect(
                joined is not None and getattr(joined, "isStreaming", False),
                "surge_trips must return the joined streaming DataFrame",
            )
            need = {"trip_id", "surge_id", "multiplier"}
            expect(need <= set(joined.columns), f"the join needs the columns {sorted(need)} (got {joined.columns})")
            rows, progress = _run(joined, checkpoint, f"run {run}", SCENARIO_TIMEOUT_S)
            got.append(rows)
            states.append(_state_rows(progress))
    rows = pd.concat([g for g in got if len(g)], ignore_index=True) if any(len(g) for g in got) else pd.DataFrame()
    mine, truth = _pairs(rows), _pairs(want)
    plan = _join_plan(joined)
    story = (
        f"trips at {', '.join(at for _, _, at, _ in JOIN_TRIPS)} in zone {PU_ZONE} (drop-off zone {DO_ZONE}); "
        f"surges {', '.join(f'{s} zone {z} at {at}' for _, s, z, at, _ in SURGES)}, each on for {duration}"
    )
    if mine != truth:
        extra, missing = mine - truth, truth - mine
        cause = ""
        if extra and any(s == "s2" for _, s in extra):
            cause = f": s2 is a surge in zone {DO_ZONE}, where the trips end; join on the pickup zone (pu_location_id)"
        elif extra:
            cause = (
                ": a trip matched a surge that was not on at its pickup time; add the time-range condition "
                f"pickup_ts >= starts_at AND pickup_ts < starts_at + interval {duration}"
            )
        expect(
            False,
            f"your join matched {_say(mine)}; the truth is {_say(truth)} (extra: {_say(extra)}; missing: "
            f"{_say(missing)}){cause}. {story}",
        )
    dup = len(rows) - len(mine)
    expect(dup == 0, f"{dup} matches were emitted twice: an inner join in append mode emits each match once")
    expect(states[-1] is not None, "the query keeps no state: join the two streams (trips.join(surges, …))")
    run2 = sent[2]
    if states[-1] > run2:
        sides = [c for c in ("pickup_ts", "starts_at") if c not in plan["watermarks"]]
        cause = (
            f"no watermark on {' and '.join(sides)}: Spark cannot know when a row can no longer match, so it keeps "
            f"it for ever; add withWatermark('{sides[0]}', watermark)"
            if sides
            else "the join condition does not bound the times (pickup_ts >= starts_at AND pickup_ts < starts_at + "
            f"interval {duration}), so no watermark can tell when a row is done"
        )
        expect(
            False,
            f"after run 2 the join's state still holds {states[-1]} rows (run 2 sent only {run2}): run 1's "
            f"rows were never dropped: {cause}",
        )
    return (
        f"{len(mine)} matches ({_say(mine)}), equal to the truth; the join's state held {states[0]} rows after "
        f"run 1 and {states[-1]} after run 2: once both watermarks passed 12:50, run 1's trips and surges could "
        "match nothing more and were dropped"
    )


def _surge_trips(trips, surges, watermark: str, duration: str):
    """The lab's version of the join (for the notebook's later cells and the fallback)."""
    from pyspark.sql import functions as F

    t = trips.withWatermark("pickup_ts", watermark)
    s = surges.withWatermark("starts_at", watermark)
    cond = F.expr(
        f"pu_location_id = zone_id AND pickup_ts >= starts_at AND pickup_ts < starts_at + interval {duration}"
    )
    return t.join(s, cond).select("trip_id", "surge_id", "multiplier", "pickup_ts", "starts_at")


# ------------------------------------------------------------------ 2. custom state with an event-time timeout
ANOMALY_COLUMNS = ["zone_id", "trip_id", "pickup_ts", "fare_amount", "baseline"]
# (run, pickup zone, pickup time, fare): zone 161's 12:15 trip costs 60 after an average of 11, zone 236's 12:20 trip
# 100 after 21; run 2's one trip in zone 100 moves the watermark to 12:55, past both zones' last trip + 30 minutes.
FARE_TRIPS = [
    (1, 161, "12:00", 10.0),
    (1, 236, "12:03", 20.0),
    (1, 161, "12:05", 12.0),
    (1, 236, "12:06", 22.0),
    (1, 161, "12:10", 11.0),
    (1, 161, "12:15", 60.0),
    (1, 236, "12:20", 100.0),
    (2, 100, "13:05", 15.0),
]
STATE_REFUSED = REFUSED


def fare_frame() -> pd.DataFrame:
    """The hand-made trips of the anomaly exercise (run 1 and run 2) as produced; column `run` says which."""
    frame = _trips([(z, at, f) for _, z, at, f in FARE_TRIPS], "fare")
    return frame.assign(run=[r for r, *_ in FARE_TRIPS])


def anomaly_truth(factor: float, min_trips: int) -> pd.DataFrame:
    """The anomalies, by hand: per zone in pickup order, a trip whose fare exceeds `factor` × the average fare of the
    zone's earlier trips (once it has `min_trips`) is one; every trip then joins the average."""
    out = []
    trips = fare_frame().sort_values("pickup_ts")
    for zone, rows in trips.groupby("pu_location_id"):
        n, total = 0, 0.0
        for row in rows.itertuples():
            if n >= min_trips and row.fare_amount > factor * total / n:
                out.append((int(zone), row.trip_id, row.pickup_ts, float(row.fare_amount), total / n))
            n, total = n + 1, total + float(row.fare_amount)
    return pd.DataFrame(out, columns=ANOMALY_COLUMNS)


def state_truth(quiet: str, watermark: str) -> int:
    """The zones whose state must still exist after run 2: their last trip + `quiet` is not behind the watermark."""
    trips = fare_frame()
    mark = trips["pickup_ts"].max() - pd.Timedelta(watermark)
    last = trips.groupby("pu_location_id")["pickup_ts"].max()
    return int((last + pd.Timedelta(quiet) >= mark).sum())


def _anomaly_rows(rows: pd.DataFrame) -> list[tuple]:
    if rows is None or not len(rows):
        return []
    return sorted(
        (
            int(r.zone_id),
            str(r.trip_id),
            pd.Timestamp(r.pickup_ts).tz_localize(None),
            round(float(r.fare_amount), 6),
            round(float(r.baseline), 6),
        )
        for r in rows.itertuples()
    )


def _say_anomalies(rows: list[tuple]) -> str:
    return ", ".join(f"zone {z} {p:%H:%M} fare {f:g} (average {b:g})" for z, _, p, f, b in rows) or "none"


def _timeout_in_plan(df) -> str | None:
    plan = df._jdf.queryExecution().analyzed().toString()
    found = re.search(r"(NoTimeout|ProcessingTimeTimeout|EventTimeTimeout)", plan)
    return found.group(1) if found else None


def check_fare_anomalies(
    fare_anomalies: Callable,
    spark,
    topic: str,
    factor: float = 3.0,
    min_trips: int = 2,
    quiet: str = "30 minutes",
    watermark: str = "10 minutes",
    timeout_s: float | None = None,
) -> str:
    """The learner's `fare_anomalies(trips, factor, min_trips, quiet, watermark)` keeps per zone the count and sum of
    its fares (applyInPandasWithState), emits the trips whose fare exceeds `factor` × the zone's average so far, and
    drops a zone's state once it has been quiet for `quiet` of event time (an event-time timeout). Two runs
    (availableNow, one checkpoint): run 1 two zones' trips, run 2 one trip 45 minutes later in a third zone. The
    anomalies equal a pandas truth, and after run 2 the state holds only the zones not yet quiet long enough."""

    limit = learner.TIMEOUT_S if timeout_s is None else timeout_s
    source = fresh_topic(f"{topic}-fares")
    frame = fare_frame()
    want = _anomaly_rows(anomaly_truth(factor, min_trips))
    keep = state_truth(quiet, watermark)
    got, states = [], []
    with learner.stopping_queries(spark), tempfile.TemporaryDirectory(prefix="fare-check-") as checkpoint:
        for run in (1, 2):
            _send_trips(source, frame[frame["run"] == run].drop(columns="run"))
            anomalies = learner.call(
                fare_anomalies,
                _read_trips(spark, source),
                factor,
                min_trips,
                quiet,
                watermark,
                refuse=STATE_REFUSED,
                hint="groupBy(…).applyInPandasWithState with GroupStateTimeout.EventTimeTimeout",
                timeout_s=limit,
            )
            expect(
                anomalies is not None and getattr(anomalies, "isStreaming", False),
                "fare_anomalies must return a streaming DataFrame (groupBy(…).applyInPandasWithState(…))",
            )
            missing = set(ANOMALY_COLUMNS) - set(anomalies.columns)
            expect(not missing, f"the anomalies need the columns {ANOMALY_COLUMNS} (missing {sorted(missing)})")
            expect(
                _timeout_in_plan(anomalies) != "ProcessingTimeTimeout",
                "a processing-time timeout waits on the wall clock, not on the trips' times (and an availableNow "
                "query with one never ends: Spark keeps running batches to look at the clock); use "
                "GroupStateTimeout.EventTimeTimeout and state.setTimeoutTimestamp(last pickup + quiet)",
            )
            rows, progress = _run(anomalies, checkpoint, f"run {run}", SCENARIO_TIMEOUT_S)
            got.append(rows)
            states.append(_state_rows(progress))
    mine = _anomaly_rows(pd.concat([g for g in got if len(g)], ignore_index=True) if any(len(g) for g in got) else None)
    story = "; ".join(f"zone {z} {at} fare {f:g}" for _, z, at, f in FARE_TRIPS)
    expect(
        mine == want,
        f"your anomalies: {_say_anomalies(mine)}; the truth: {_say_anomalies(want)} (a trip is one "
        f"when its zone has ≥ {min_trips} earlier trips and its fare > {factor:g} × their average; the "
        f"trips: {story})",
    )
    expect(states[-1] is not None, "the query keeps no state: use groupBy('zone_id').applyInPandasWithState")
    if states[-1] != keep:
        timeout = _timeout_in_plan(anomalies)
        if timeout == "NoTimeout":
            cause = "no timeout is set: pass GroupStateTimeout.EventTimeTimeout and call state.setTimeoutTimestamp"
        elif timeout == "ProcessingTimeTimeout":
            cause = (
                "a processing-time timeout waits on the wall clock, not on the trips' times: use "
                "GroupStateTimeout.EventTimeTimeout and state.setTimeoutTimestamp(last pickup + quiet)"
            )
        else:
            cause = (
                "when state.hasTimedOut, call state.remove() (and set the timeout to the zone's last pickup + "
                f"{quiet} on every update)"
            )
        expect(
            False,
            f"after run 2 (watermark 12:55) the state still holds {states[-1]} zones, want {keep}: zones 161 "
            f"and 236 have been quiet since 12:15 and 12:20, longer than {quiet}, and must be gone: {cause}",
        )
    return (
        f"{len(mine)} anomalies ({_say_anomalies(mine)}), equal to the truth; state rows {states[0]} after run 1, "
        f"{states[-1]} after run 2: the watermark passed zones 161 and 236's timeouts and their state was removed"
    )


ANOMALY_OUT = "zone_id int, trip_id string, pickup_ts timestamp, fare_amount double, baseline double"
ANOMALY_STATE = "n long, total double"


def _fare_anomalies(
    trips, factor: float = 3.0, min_trips: int = 2, quiet: str = "30 minutes", watermark: str = "10 minutes"
):
    """The lab's version of the anomaly exercise (for the Kafka exercise's fallback)."""
    from pyspark.sql import functions as F
    from pyspark.sql.streaming.state import GroupStateTimeout

    gap_ms = int(pd.Timedelta(quiet) / pd.Timedelta(milliseconds=1))

    def step(key, frames, state):
        if state.hasTimedOut:
            state.remove()
            return
        n, total = state.get if state.exists else (0, 0.0)
        rows = pd.concat(list(frames)).sort_values("pickup_ts")
        out = []
        for row in rows.itertuples():
            if n >= min_trips and row.fare_amount > factor * total / n:
                out.append((key[0], row.trip_id, row.pickup_ts, row.fare_amount, total / n))
            n, total = n + 1, total + row.fare_amount
        state.update((n, total))
        state.setTimeoutTimestamp(int(rows["pickup_ts"].max().value // 1_000_000) + gap_ms)
        if out:
            yield pd.DataFrame(out, columns=ANOMALY_COLUMNS)

    return (
        trips.withWatermark("pickup_ts", watermark)
        .select(F.col("pu_location_id").alias("zone_id"), "trip_id", "pickup_ts", "fare_amount")
        .groupBy("zone_id")
        .applyInPandasWithState(step, ANOMALY_OUT, ANOMALY_STATE, "append", GroupStateTimeout.EventTimeTimeout)
    )


# ----------------------------------------------------------------------------------- 3. Spark writes to Kafka
ANOMALY_SCHEMA = {
    "type": "record",
    "name": "FareAnomaly",
    "namespace": "lab.kappa",
    "fields": [
        {"name": "zone_id", "type": "int"},
        {"name": "trip_id", "type": "string"},
        {"name": "pickup_ts", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "fare_amount", "type": "double"},
        {"name": "baseline", "type": "double"},
    ],
}
KAFKA_REFUSED = (*REFUSED, "lab.pipeline.produce.*", "lab.pipeline.wire.*")


def _consume(topic: str, expected: int, timeout_s: float = 30.0) -> list:
    """Every record of `topic` (a plain confluent-kafka consumer from the beginning), bounded in time."""
    import time
    import uuid

    from confluent_kafka import Consumer

    consumer = Consumer(
        {
            "bootstrap.servers": kafka.bootstrap_servers(),
            "group.id": f"check-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    records, end, idle = [], time.monotonic() + timeout_s, 0
    try:
        while time.monotonic() < end and idle < 3:
            msg = consumer.poll(1.0)
            if msg is None:
                idle += 1 if len(records) >= expected else 0
                continue
            if msg.error():
                continue
            records.append(msg)
            idle = 0
    finally:
        consumer.close()
    return records


def check_anomalies_to_kafka(
    anomalies_to_kafka: Callable,
    fare_anomalies: Callable | None,
    spark,
    topic: str,
    factor: float = 3.0,
    min_trips: int = 2,
    quiet: str = "30 minutes",
    watermark: str = "10 minutes",
    timeout_s: float | None = None,
) -> str:
    """The learner's `anomalies_to_kafka(anomalies, topic, checkpoint)` starts a query writing each anomaly to `topic`
    as Confluent-framed Avro (byte 0, the 4-byte id of ANOMALY_SCHEMA registered under `<topic>-value`, the body from
    to_avro). Read back with a plain confluent-kafka consumer and the registry's AvroDeserializer, the records equal
    the pandas truth of the anomaly exercise. The anomalies come from the learner's fare_anomalies (the lab's when
    theirs is missing or fails)."""
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.avro import AvroDeserializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    limit = learner.TIMEOUT_S if timeout_s is None else timeout_s
    source = fresh_topic(f"{topic}-fares")
    out = f"{topic}-anomalies"
    topics.delete_topics([out])
    topics.ensure_topics(out)
    subject = config.subject(out)
    schemas.delete_subject(subject)
    _send_trips(source, fare_frame().drop(columns="run"))
    want = anomaly_truth(factor, min_trips)
    detect = learner.fallback(fare_anomalies, _fare_anomalies, "fare_anomalies")
    with learner.stopping_queries(spark), tempfile.TemporaryDirectory(prefix="kafka-check-") as checkpoint:
        anomalies = detect(_read_trips(spark, source), factor, min_trips, quiet, watermark)
        query = learner.call(
            anomalies_to_kafka,
            anomalies,
            out,
            checkpoint,
            refuse=KAFKA_REFUSED,
            hint="to_avro, the 5-byte header, writeStream.format('kafka')",
            timeout_s=limit,
        )
        expect(query is not None and hasattr(query, "awaitTermination"), "return the StreamingQuery that start() gives")
        learner.await_query(query, SCENARIO_TIMEOUT_S, what="your query")
    records = _consume(out, len(want))
    expect(records, f"nothing reached {out}: writeStream.format('kafka') with option('topic', topic), started")
    value = records[0].value() or b""
    expect(
        not value.lstrip().startswith(b"{"),
        f"the values in {out} are JSON ({value[:40]!r}…): encode them as Avro with to_avro and ANOMALY_SCHEMA",
    )
    registered = [s for s in schemas.subjects() if s == subject]
    expect(
        registered,
        f"no schema is registered under {subject}: POST ANOMALY_SCHEMA to "
        f"/subjects/{subject}/versions first; its answer holds the id the header carries",
    )
    latest = schemas.get(subject)
    expect(
        len(value) > 5 and value[0] == 0,
        f"the value does not start with the Confluent header (got {value[:6]!r}): prepend byte 0 and the 4-byte "
        f"big-endian schema id ({latest['id']}) to the to_avro bytes",
    )
    ids = {int.from_bytes((r.value() or b"\0\0\0\0\0")[1:5], "big") for r in records}
    expect(
        ids == {int(latest["id"])},
        f"the header carries schema id {sorted(ids)}, but {subject} registered "
        f"ANOMALY_SCHEMA as id {latest['id']}: use the id the registry answered",
    )
    client = SchemaRegistryClient({"url": schema_registry.registry_url()})
    decode = AvroDeserializer(client)
    rows = []
    for r in records:
        try:
            rec = decode(r.value(), SerializationContext(out, MessageField.VALUE))
        except Exception as exc:  # noqa: BLE001 - a value the registry's deserializer cannot read: the learner's bytes
            expect(False, f"the registry's AvroDeserializer cannot read a value of {out}: {learner.describe(exc)}")
        rows.append(rec)
    got = pd.DataFrame(rows)
    if "pickup_ts" in got:
        got["pickup_ts"] = pd.to_datetime(got["pickup_ts"], utc=True).dt.tz_localize(None)
    mine, truth = _anomaly_rows(got if set(ANOMALY_COLUMNS) <= set(got.columns) else None), _anomaly_rows(want)
    expect(mine == truth, f"read back from {out}: {_say_anomalies(mine)}; the truth: {_say_anomalies(truth)}")
    return (
        f"{len(records)} records in {out}, each byte 0 + schema id {latest['id']} + Avro; the registry's "
        f"deserializer reads back {_say_anomalies(mine)}"
    )


def _anomalies_to_kafka(anomalies, topic: str, checkpoint: str):
    """The lab's version of the Kafka exercise (registers the schema, frames to_avro's bytes)."""
    from pyspark.sql import functions as F
    from pyspark.sql.avro.functions import to_avro

    schema_id = schemas.register(config.subject(topic), ANOMALY_SCHEMA)
    header = F.lit(bytes([0]) + int(schema_id).to_bytes(4, "big"))
    body = to_avro(F.struct(*ANOMALY_COLUMNS), json.dumps(ANOMALY_SCHEMA))
    return (
        anomalies.select(F.col("zone_id").cast("string").alias("key"), F.concat(header, body).alias("value"))
        .writeStream.format("kafka")
        .option("kafka.bootstrap.servers", kafka.bootstrap_servers())
        .option("topic", topic)
        .option("checkpointLocation", checkpoint)
        .trigger(availableNow=True)
        .start()
    )
