"""Week 3 exercise checks: two validation rules, the learner's producer (decoded back from the topic, DLQ reasons),
validation counts, an accounted-for produce run."""

from __future__ import annotations

from collections.abc import Callable

from lab.lessons.exercises import call, expect, learner
from lab.pipeline import data, schemas, topics, wire
from lab.services import kafka, schema_registry


def check_reason_count(reason: str, count, rejected) -> str:
    """`count` is how many rows of the rejected DataFrame carry `reason`."""
    expect(reason in data.REASONS, f"{reason!r} is not a validation reason; they are {', '.join(data.REASONS)}")
    expect(count is not None, "compute the count first: it is still None")
    want = int((rejected["reason"] == reason).sum())
    expect(int(count) == want, f"{count} is not the number of {reason!r} rows (hint: rejected['reason'] == …)")
    return f"{want} rows rejected as {reason}"


def check_dlq_reasons(answer: dict, dlq_topic: str) -> str:
    """`answer` (what dlq_reason_counts returned) maps each DLQ reason header to how many messages carry it."""
    expect(isinstance(answer, dict) and answer, "return a dict {reason: count} built from the DLQ messages' headers")
    total = topics.count_messages(dlq_topic)
    messages = topics.peek(dlq_topic, max_messages=total + 1)
    want: dict[str, int] = {}
    for m in messages:
        want[m["headers"].get("reason")] = want.get(m["headers"].get("reason"), 0) + 1
    expect(dict(answer) == want, f"the DLQ holds {want}, your answer says {dict(answer)}")
    return f"{total} DLQ messages: {want}"


def check_accounted(
    report, topic: str, expected_rows: int, service: str = "green", month: str = "2024-01", base_url: str | None = None
) -> str:
    """A produce run of the first `expected_rows` rows of `service` `month`, *validated*, into `topic`: the run adds
    up, its accepted/rejected split is validate's, and the topic holds what was delivered."""
    expect(report is not None, "your function returned None: return the ProduceReport of the run")
    expect(hasattr(report, "problems"), f"return the ProduceReport of the run, not a {type(report).__name__}")
    expect(report.topic == topic, f"the report is for topic {report.topic!r}, the exercise asks for {topic!r}")
    expect(report.read == expected_rows, f"the run read {report.read} rows, the exercise asks for {expected_rows}")
    problems = report.problems()
    expect(not problems, "; ".join(problems))
    _ok, bad = data.validate(data.load(service, month, base_url=base_url, limit=expected_rows), month)
    expect(
        report.rejected == len(bad),
        f"the run rejected {report.rejected} rows, validation rejects {len(bad)} of these {expected_rows}: validate "
        "the rows first (lab.data.validate) and give the producer both parts",
    )
    in_topic = topics.count_messages(topic)
    expect(
        in_topic == report.delivered,
        f"{topic} holds {in_topic} messages but {report.delivered} were delivered: "
        "produce into a fresh topic (delete it first)",
    )
    return f"{report.read} read = {report.accepted} accepted + {report.rejected} rejected; {in_topic} in {topic}"


def _rule_truth(trips) -> dict:
    """The exercise's two rules, computed here independently of lab.data.validate (where the first rule wins)."""
    import pandas as pd

    amounts = [*data.AMOUNTS, *data.OPTIONAL_AMOUNTS, "trip_distance"]
    return {
        "negative_amount": pd.concat([trips[c] < 0 for c in amounts], axis=1).fillna(False).any(axis=1),
        "dropoff_before_pickup": (trips["dropoff_ts"] < trips["pickup_ts"]).fillna(False),
    }


def _with_edge_cases(trips):
    """`trips` plus hand-made rows where a rule's edge matters, whatever the month holds: a missing optional amount
    (not negative), zero amounts (not negative), a negative tip, a negative distance, a last optional amount below
    zero, a dropoff at the pickup's instant (not before) and one a minute before it."""
    import pandas as pd

    base = trips.iloc[[0] * 7].copy()
    optional = list(data.OPTIONAL_AMOUNTS)
    base.loc[:, optional] = 1.0
    base.iloc[0, [base.columns.get_loc(c) for c in optional]] = float("nan")
    base.iloc[1, [base.columns.get_loc(c) for c in [*data.AMOUNTS, "trip_distance"]]] = 0.0
    base.iloc[2, base.columns.get_loc("tip_amount")] = -1.5
    base.iloc[3, base.columns.get_loc("trip_distance")] = -0.1
    base.iloc[4, base.columns.get_loc(optional[-1])] = -2.5
    base.iloc[5, base.columns.get_loc("dropoff_ts")] = base.iloc[5]["pickup_ts"]
    base.iloc[6, base.columns.get_loc("dropoff_ts")] = base.iloc[6]["pickup_ts"] - pd.Timedelta(minutes=1)
    base.index = range(int(trips.index.max()) + 1, int(trips.index.max()) + 8)
    edges = [
        "a missing optional amount: not negative",
        "zero amounts and distance: not negative",
        "a negative tip_amount",
        "a negative trip_distance",
        f"a negative {optional[-1]}",
        "a dropoff at the pickup's instant: not before it",
        "a dropoff a minute before the pickup",
    ]
    return pd.concat([trips, base]), dict(zip(base.index, edges))


def check_rules(rules: Callable, trips) -> str:
    """`rules(trips)` returns {reason: boolean Series} flagging exactly the rows each rule rejects — on the month's
    rows and on hand-made edge cases (missing is not negative, zero is not negative, equal times are not before)."""
    trips, edges = _with_edge_cases(trips)
    got = call(rules, trips, refuse=("lab.data.*",), hint="pandas comparisons")
    want = _rule_truth(trips)
    expect(
        isinstance(got, dict) and set(got) == set(want),
        f"return a dict with the keys {sorted(want)} (got {sorted(got) if isinstance(got, dict) else type(got).__name__})",
    )
    lines = []
    for reason, mask in want.items():
        mine = got[reason]
        expect(len(mine) == len(trips), f"{reason}: your Series has {len(mine)} entries, the trips {len(trips)}")
        mine = mine.reindex(trips.index).fillna(False).astype(bool)
        wrong = trips.index[mine != mask]
        edge = [i for i in wrong if i in edges]
        first = f"row {edge[0]}, hand-made: {edges[edge[0]]}" if edge else f"row {wrong[0]}" if len(wrong) else ""
        expect(
            len(wrong) == 0,
            f"{reason}: {len(wrong)} rows judged wrongly, e.g. {first} "
            f"(flagged by you: {int(mine.sum())}, should be {int(mask.sum())})",
        )
        lines.append(f"{reason}: {int(mask.sum())}")
    return "your rules agree with the lab's on every row and edge case (" + ", ".join(lines) + ")"


def _plain(value):
    """A decoded Avro value comparable with lab.wire.to_dict's (fastavro gives UTC-aware datetimes)."""
    return value.replace(tzinfo=None) if hasattr(value, "tzinfo") and value.tzinfo is not None else value


PRODUCE_SHORTCUTS = ("lab.produce.*", "lab.kraft.*", "lab.topics.*", "lab.wire.encode_frames", "lab.wire.frame")
PRODUCE_HINT = "confluent_kafka: Producer, AvroSerializer, SerializationContext"


def _lab_settings(conf: dict) -> dict:
    """The lab's answer to `producer_settings` (for the producer check when the learner's is not written)."""
    return {**conf, "enable.idempotence": True, "acks": "all", "compression.type": "lz4", "linger.ms": 50}


def check_producer(settings: Callable, produce_trips: Callable, accepted, rejected, topic: str, dlq: str) -> str:
    """The learner's producer, judged by the producer that actually wrote to `topic` (idempotent, acks=all, a
    compression, the key choosing the partition); every accepted row decodes from `topic` exactly, keyed by pickup
    zone (one partition per key); every rejected row is in `dlq` with its reason header."""
    settings = learner.fallback(settings, _lab_settings, "producer_settings", on=())
    conf = call(settings, {"bootstrap.servers": kafka.bootstrap_servers()}, refuse=("lab.produce.*",))
    expect(isinstance(conf, dict), f"producer_settings returned {type(conf).__name__}: return the config dict")
    topics.delete_topics([topic, dlq])
    topics.ensure_topics(topic, dlq)
    with learner.recording_producers(produce_trips) as producers:
        result = call(
            produce_trips,
            conf,
            schema_registry.registry_url(),
            accepted,
            rejected,
            topic,
            dlq,
            refuse=PRODUCE_SHORTCUTS,
            hint=PRODUCE_HINT,
        )
    problems = learner.producer_problems(producers, topic)
    expect(not problems, "; ".join(problems))
    used = [r for r in producers if topic in r.topics]
    codecs = {str(r.setting("compression.type", "compression.codec")) for r in used}
    expect(
        codecs <= {"lz4", "zstd", "snappy", "gzip"},
        f"the producer that wrote to {topic} ran with compression.type={sorted(codecs)}: choose one (lz4 is cheap)",
    )
    forced = sorted(set().union(*(r.forced_partitions for r in used)))
    expect(
        not forced,
        f"your producer chose partition(s) {forced} itself: leave `partition` out, so the key (the pickup zone) "
        "decides",
    )
    in_topic, in_dlq = topics.count_messages(topic), topics.count_messages(dlq)
    expect(
        in_topic <= len(accepted),
        f"{topic} holds {in_topic} messages for {len(accepted)} accepted rows: each row is produced once "
        "(a second loop or a retry without idempotence duplicates)",
    )
    expect(
        in_topic == len(accepted),
        f"{topic} holds {in_topic} messages for {len(accepted)} accepted rows: flush() at the end (messages still in "
        "the producer's queue are lost when the function returns)",
    )
    expect(
        in_dlq == len(rejected),
        f"{dlq} holds {in_dlq} messages for {len(rejected)} rejected rows: each rejected row goes to the DLQ once",
    )
    expect(
        isinstance(result, dict),
        "return the counts your delivery callback made: {'delivered': …, 'failed': …, 'dlq': …}",
    )
    expect(
        result.get("delivered") == len(accepted) and not result.get("failed"),
        f"your callback counted {result}; {len(accepted)} accepted rows should be delivered, none failed",
    )
    want = {r["trip_id"]: r for r in (wire.to_dict(row) for row in accepted.iloc)}
    messages = topics.peek(topic, max_messages=in_topic, timeout=60)
    writers: dict[int, dict] = {}
    where: dict[str, set[int]] = {}
    for m in messages:
        schema_id, _ = wire.unframe(m["value"])
        if schema_id not in writers:  # one registry call per writer schema, not per message
            writers[schema_id] = schemas.by_id(schema_id)
        record = wire.decode(m["value"], writers[schema_id])
        expected = want.pop(record["trip_id"], None)
        expect(expected is not None, f"trip {record['trip_id']} is in the topic twice or was not accepted")
        diff = [k for k, v in record.items() if _plain(v) != expected.get(k)]
        expect(not diff, f"trip {record['trip_id']} decodes with different {diff[:4]}: serialize the row as it is")
        expect(
            m["key"] == str(record["pu_location_id"]),
            f"key {m['key']!r} for pickup zone {record['pu_location_id']}: key each trip by str(pu_location_id)",
        )
        where.setdefault(m["key"], set()).add(m["partition"])
    expect(not want, f"{len(want)} accepted trips are missing from the topic")
    expect(all(len(p) == 1 for p in where.values()), "a key landed in two partitions")
    reasons: dict[str, int] = {}
    for m in topics.peek(dlq, max_messages=in_dlq, timeout=60):
        reason = m["headers"].get("reason")
        reasons[reason] = reasons.get(reason, 0) + 1
    truth = rejected["reason"].value_counts().to_dict()
    expect(reasons == truth, f"the DLQ's reason headers count {reasons}, the rejected rows {truth}")
    return (
        f"{in_topic} trips decode exactly, {len(where)} zone keys each in one partition; "
        f"{in_dlq} DLQ messages with reasons {truth}"
    )
