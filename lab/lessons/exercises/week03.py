"""Week 3 exercise checks: two validation rules, the learner's producer (decoded back from the topic, DLQ reasons),
validation counts, an accounted-for produce run."""

from __future__ import annotations

from collections.abc import Callable

from lab.lessons.exercises import expect
from lab.pipeline import data, schemas, topics


def check_reason_count(reason: str, count, rejected) -> str:
    """`count` is how many rows of the rejected DataFrame carry `reason`."""
    expect(reason in data.REASONS, f"{reason!r} is not a validation reason; they are {', '.join(data.REASONS)}")
    expect(count is not None, "compute the count first: it is still None")
    want = int((rejected["reason"] == reason).sum())
    expect(int(count) == want, f"{count} is not the number of {reason!r} rows (hint: rejected['reason'] == …)")
    return f"{want} rows rejected as {reason}"


def check_dlq_reasons(answer: dict, dlq_topic: str) -> str:
    """`answer` maps each DLQ reason header to how many messages carry it (read from the topic itself)."""
    expect(isinstance(answer, dict) and answer, "build a dict {reason: count} from the DLQ messages' headers")
    total = topics.count_messages(dlq_topic)
    messages = topics.peek(dlq_topic, max_messages=total + 1)
    want: dict[str, int] = {}
    for m in messages:
        want[m["headers"].get("reason")] = want.get(m["headers"].get("reason"), 0) + 1
    expect(dict(answer) == want, f"the DLQ holds {want}, your answer says {dict(answer)}")
    return f"{total} DLQ messages: {want}"


def check_accounted(report, topic: str, expected_rows: int) -> str:
    """A produce run of `expected_rows` rows into `topic` that adds up, and the topic holds what was delivered."""
    expect(report is not None, "produce first: `my_report` is still None")
    expect(report.topic == topic, f"the report is for topic {report.topic!r}, the exercise asks for {topic!r}")
    expect(report.read == expected_rows, f"the run read {report.read} rows, the exercise asks for {expected_rows}")
    problems = report.problems()
    expect(not problems, "; ".join(problems))
    in_topic = topics.count_messages(topic)
    expect(
        in_topic == report.delivered,
        f"{topic} holds {in_topic} messages but {report.delivered} were delivered: "
        "produce into a fresh topic (delete it first)",
    )
    return f"{report.read} read = {report.accepted} accepted + {report.rejected} rejected; {in_topic} in {topic}"


def rule_truth(trips) -> dict:
    """The exercise's two rules, computed here independently of lab.data.validate (where the first rule wins)."""
    import pandas as pd

    amounts = [*data.AMOUNTS, *data.OPTIONAL_AMOUNTS, "trip_distance"]
    return {
        "negative_amount": pd.concat([trips[c] < 0 for c in amounts], axis=1).fillna(False).any(axis=1),
        "dropoff_before_pickup": (trips["dropoff_ts"] < trips["pickup_ts"]).fillna(False),
    }


def check_rules(rules: Callable, trips) -> str:
    """`rules(trips)` returns {reason: boolean Series} flagging exactly the rows each rule rejects."""
    got = rules(trips)
    want = rule_truth(trips)
    expect(
        isinstance(got, dict) and set(got) == set(want),
        f"return a dict with the keys {sorted(want)} (got {sorted(got or {})})",
    )
    lines = []
    for reason, mask in want.items():
        mine = got[reason]
        expect(len(mine) == len(trips), f"{reason}: your Series has {len(mine)} entries, the trips {len(trips)}")
        mine = mine.reindex(trips.index).fillna(False).astype(bool)
        wrong = trips.index[mine != mask]
        first = wrong[0] if len(wrong) else ""
        expect(
            len(wrong) == 0,
            f"{reason}: {len(wrong)} rows judged wrongly, e.g. row {first} "
            f"(flagged by you: {int(mine.sum())}, should be {int(mask.sum())}); NaN is not < 0",
        )
        lines.append(f"{reason}: {int(mask.sum())}")
    return "rules agree with the lab's on every row (" + ", ".join(lines) + ")"


def _plain(value):
    """A decoded Avro value comparable with lab.wire.to_dict's (fastavro gives UTC-aware datetimes)."""
    return value.replace(tzinfo=None) if hasattr(value, "tzinfo") and value.tzinfo is not None else value


def check_producer(settings: Callable, produce_trips: Callable, accepted, rejected, topic: str, dlq: str) -> str:
    """The learner's producer: safe settings; every accepted row decodes from `topic` exactly, keyed by pickup zone
    (one partition per key); every rejected row is in `dlq` with its reason header."""
    from lab.pipeline import wire
    from lab.services import kafka, schema_registry

    conf = settings({"bootstrap.servers": kafka.bootstrap_servers()})
    expect(str(conf.get("enable.idempotence")).lower() == "true", "set enable.idempotence: retries must not duplicate")
    expect(
        str(conf.get("acks")) in ("all", "-1"),
        f"acks={conf.get('acks')!r}: a message counts only when the broker has it (acks=all)",
    )
    expect(
        conf.get("compression.type") in ("lz4", "zstd", "snappy", "gzip"), "choose a compression.type (lz4 is cheap)"
    )
    topics.delete_topics([topic, dlq])
    topics.ensure_topics(topic, dlq)
    result = produce_trips(conf, schema_registry.registry_url(), accepted, rejected, topic, dlq)
    expect(
        isinstance(result, dict),
        "return the counts your delivery callback made: {'delivered': …, 'failed': …, 'dlq': …}",
    )
    expect(
        result.get("delivered") == len(accepted) and not result.get("failed"),
        f"your callback counted {result}; {len(accepted)} accepted rows should be delivered, none failed",
    )
    in_topic, in_dlq = topics.count_messages(topic), topics.count_messages(dlq)
    expect(
        in_topic == len(accepted),
        f"{topic} holds {in_topic} messages for {len(accepted)} accepted rows (flush at the end)",
    )
    expect(in_dlq == len(rejected), f"{dlq} holds {in_dlq} messages for {len(rejected)} rejected rows")
    want = {r["trip_id"]: r for r in (wire.to_dict(row) for row in accepted.iloc)}
    messages = topics.peek(topic, max_messages=in_topic, timeout=60)
    writers: dict[int, dict] = {}
    where: dict[str, set[int]] = {}
    for m in messages:
        schema_id, _ = wire.unframe(m["value"])
        record = wire.decode(m["value"], writers.setdefault(schema_id, schemas.by_id(schema_id)))
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
