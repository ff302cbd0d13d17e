"""The lab's Kafka topics: create them with explicit configs, describe them, count what is in them."""

from __future__ import annotations

from lab import config
from lab.errors import LabError
from lab.services import kafka
from lab.wait import until

TIMEOUT_S = 30.0


def specs(trips: str = config.TRIPS_TOPIC, dlq: str = config.DLQ_TOPIC) -> dict[str, dict]:
    """Partitions, replication factor and topic configs of the trips topic and its dead-letter queue (DLQ).

    The replication factor and min.insync.replicas come from configuration (config.topic_replication()).
    """
    replicas, min_isr = config.topic_replication()
    common = {
        "cleanup.policy": "delete",
        "retention.ms": str(config.TOPIC_RETENTION_MS),
        "min.insync.replicas": str(min_isr),
    }
    return {
        trips: {"partitions": config.TOPIC_PARTITIONS, "replicas": replicas, "config": dict(common)},
        dlq: {"partitions": config.DLQ_PARTITIONS, "replicas": replicas, "config": dict(common)},
    }


def _admin():
    return kafka.admin()


def _result(futures: dict, what: str) -> dict:
    from confluent_kafka import KafkaException

    out = {}
    for key, fut in futures.items():
        try:
            out[key] = fut.result(timeout=TIMEOUT_S)
        except KafkaException as exc:
            out[key] = exc.args[0]
        except Exception as exc:  # noqa: BLE001 - timeouts and transport errors: say what failed
            raise LabError(f"{what} {key}: {exc}") from exc
    return out


def _statuses(answers: dict, done: str, benign_code, benign: str, verb: str) -> dict[str, str]:
    """Each topic's outcome of a create/delete: `done` (its former checkpoints reset: the offsets start again),
    `benign` for the one harmless error (already exists / not there), LabError for any other."""
    status = {}
    for name, answer in answers.items():
        if answer is None:
            status[name] = done
            _reset_checkpoints(name)
        elif answer.code() == benign_code:
            status[name] = benign
        else:
            raise LabError(f"cannot {verb} topic {name}: {answer.str()}{_hint(answer)}")
    return status


def _hint(answer) -> str:
    """What to do about a refused replication factor (more replicas than brokers)."""
    from confluent_kafka import KafkaError

    if answer.code() != KafkaError.INVALID_REPLICATION_FACTOR:
        return ""
    return (
        f". The replication factor comes from {config.TOPIC_REPLICATION_ENV} (and min.insync.replicas from "
        f"{config.TOPIC_MIN_ISR_ENV}): set it to at most the number of brokers (1 on the local and kind stacks)"
    )


def ensure_topics(trips: str = config.TRIPS_TOPIC, dlq: str = config.DLQ_TOPIC) -> dict[str, str]:
    """Create the topics if missing (idempotent); returns {topic: "created" | "exists"}.

    An existing topic must have the expected partition count and configs, else LabError says what differs.
    A created topic's offsets start at 0: the checkpoints of queries that read a former topic of that name go.
    """
    from confluent_kafka import KafkaError
    from confluent_kafka.admin import NewTopic

    wanted = specs(trips, dlq)
    new = [
        NewTopic(name, num_partitions=s["partitions"], replication_factor=s["replicas"], config=s["config"])
        for name, s in wanted.items()
    ]
    admin = _admin()  # keep the client alive until its futures resolve
    answers = _result(admin.create_topics(new, operation_timeout=TIMEOUT_S), "creating topic")
    status = _statuses(answers, "created", KafkaError.TOPIC_ALREADY_EXISTS, "exists", "create")
    for name, spec in wanted.items():
        until(lambda n=name: _leaders_ready(n), service=f"topic {name}", timeout=TIMEOUT_S)
        _verify(name, spec)
    return status


def create(name: str, partitions: int, replication: int | None = None, **configs: str) -> str:
    """Create one topic with `partitions` and topic `configs`; returns "created", or "exists" when it is there with
    the same partition count (LabError when it differs: delete it first). Waits until every partition has a leader.
    `replication` defaults to the configured factor (config.topic_replication())."""
    from confluent_kafka import KafkaError
    from confluent_kafka.admin import NewTopic

    replication = replication or config.topic_replication()[0]

    existing = partitions_of(name)
    if existing:
        if existing != partitions:
            raise LabError(f"topic {name} exists with {existing} partitions, not {partitions}: delete it first")
        return "exists"
    admin = _admin()  # keep the client alive until its futures resolve
    answers = _result(
        admin.create_topics([NewTopic(name, partitions, replication, config=configs)], operation_timeout=TIMEOUT_S),
        "creating topic",
    )
    status = _statuses(answers, "created", KafkaError.TOPIC_ALREADY_EXISTS, "exists", "create")[name]
    until(lambda: _leaders_ready(name), service=f"topic {name}", timeout=TIMEOUT_S)
    return status


def partitions_of(name: str) -> int:
    """How many partitions a topic has (0 when it does not exist)."""
    meta = _admin().list_topics(topic=name, timeout=10).topics.get(name)
    return 0 if meta is None or meta.error is not None else len(meta.partitions)


def _leaders_ready(topic: str) -> bool:
    meta = _admin().list_topics(topic, timeout=5).topics.get(topic)
    return bool(meta and not meta.error and meta.partitions and all(p.leader >= 0 for p in meta.partitions.values()))


def _verify(topic: str, spec: dict) -> None:
    info = describe(topic)
    effective = _configs(topic, only_set=False)
    problems = []
    if info["partitions"] != spec["partitions"]:
        problems.append(f"{info['partitions']} partitions, expected {spec['partitions']}")
    if info["replicas"] != spec["replicas"]:
        problems.append(f"replication factor {info['replicas']}, expected {spec['replicas']}")
    for key, value in spec["config"].items():
        if effective.get(key) != value:
            problems.append(f"{key}={effective.get(key)}, expected {value}")
    if problems:
        raise LabError(
            f"topic {topic} exists with a different set-up: {'; '.join(problems)}. "
            f"Delete it (lab.topics.delete_topics([{topic!r}])) and run ensure_topics() again."
        )


def describe(topic: str) -> dict:
    """Partition count, leaders and the topic's non-default configs.

    Returns
    -------
    {"topic", "partitions", "replicas" (the replication factor), "leaders": {partition: broker id},
    "config": {name: value}}
    """
    meta = _admin().list_topics(topic, timeout=10).topics.get(topic)
    if meta is None or meta.error:
        raise LabError(f"topic {topic} does not exist ({meta.error.str() if meta else 'no metadata'})")
    return {
        "topic": topic,
        "partitions": len(meta.partitions),
        "replicas": min(len(m.replicas) for m in meta.partitions.values()),
        "leaders": {p: m.leader for p, m in sorted(meta.partitions.items())},
        "config": _configs(topic),
    }


def _configs(topic: str, only_set: bool = True) -> dict[str, str]:
    """The topic's configs (only those set on the topic or broker, unless only_set=False)."""
    from confluent_kafka.admin import ConfigResource, ResourceType

    admin = _admin()
    entries = list(_result(admin.describe_configs([ConfigResource(ResourceType.TOPIC, topic)]), "describing").values())[
        0
    ]
    if not isinstance(entries, dict):
        raise LabError(f"cannot read the configs of topic {topic}: {entries}")
    return {k: e.value for k, e in sorted(entries.items()) if not (only_set and e.is_default)}


def _offsets(topic: str) -> dict[int, tuple[int, int]]:
    """{partition: (earliest, latest)} offsets, read with the AdminClient."""
    from confluent_kafka import KafkaError, TopicPartition
    from confluent_kafka.admin import OffsetSpec

    parts = describe(topic)["partitions"]
    admin = _admin()

    def read() -> dict[int, tuple[int, int]]:
        low = _result(
            admin.list_offsets({TopicPartition(topic, p): OffsetSpec.earliest() for p in range(parts)}), "offsets of"
        )
        high = _result(
            admin.list_offsets({TopicPartition(topic, p): OffsetSpec.latest() for p in range(parts)}), "offsets of"
        )
        errors = [f"{tp.partition}: {r.str()}" for d in (low, high) for tp, r in d.items() if isinstance(r, KafkaError)]
        if errors:  # e.g. a leader not elected yet right after the topic was created: asked again, bounded
            raise LabError(f"offsets of {topic} not available: {'; '.join(errors[:3])}")
        return {tp.partition: (low[tp].offset, high[tp].offset) for tp in sorted(low, key=lambda t: t.partition)}

    return until(read, service=f"offsets of topic {topic}", timeout=TIMEOUT_S, interval=0.2)


def partition_counts(topic: str) -> dict[int, int]:
    """Messages in each partition (latest minus earliest offset)."""
    return {p: hi - lo for p, (lo, hi) in _offsets(topic).items()}


def end_offsets(topic: str) -> dict[int, int]:
    """partition → the offset the next record will get (the high watermark)."""
    return {p: hi for p, (_, hi) in _offsets(topic).items()}


def count_messages(topic: str) -> int:
    """Messages in the topic: the sum over partitions of latest minus earliest offset."""
    return sum(partition_counts(topic).values())


def delete_topics(names: list[str] | None = None) -> dict[str, str]:
    """Delete topics (default: the trips topic and its DLQ); returns {topic: "deleted" | "missing"}.

    The checkpoints of the queries that read them go too (lab.stream.reset_topic): a recreated topic starts at
    offset 0, and an old checkpoint would skip its first records, or fail the query.
    """
    from confluent_kafka import KafkaError

    names = names or [config.TRIPS_TOPIC, config.DLQ_TOPIC]
    admin = _admin()
    answers = _result(admin.delete_topics(names, operation_timeout=TIMEOUT_S), "deleting topic")
    status = _statuses(answers, "deleted", KafkaError.UNKNOWN_TOPIC_OR_PART, "missing", "delete")
    for name in names:
        until(
            lambda n=name: n not in _admin().list_topics(timeout=5).topics,
            service=f"deleting {name}",
            timeout=TIMEOUT_S,
        )
    return status


def _reset_checkpoints(topic: str) -> None:
    from lab.pipeline import stream

    stream.reset_topic(topic)


def peek(topic: str, max_messages: int = 5, partition: int | None = None, timeout: float = 15.0) -> list[dict]:
    """Read up to `max_messages` from the start of a topic (or one partition) without joining a consumer group.

    Returns dicts with partition, offset, timestamp (ms), key, value (raw bytes) and headers ({name: text}).
    """
    import time
    import uuid

    from confluent_kafka import Consumer, KafkaError, TopicPartition

    parts = [partition] if partition is not None else list(range(describe(topic)["partitions"]))
    consumer = Consumer(
        {
            "bootstrap.servers": kafka.bootstrap_servers(),
            "group.id": f"lab-peek-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
        }
    )
    try:
        consumer.assign([TopicPartition(topic, p, 0) for p in parts])  # offset 0 = the start
        out, at_end, deadline = [], set(), time.monotonic() + timeout
        while len(out) < max_messages and len(at_end) < len(parts) and time.monotonic() < deadline:
            for msg in consumer.consume(max_messages - len(out), timeout=0.5):
                if msg.error():
                    if msg.error().code() == KafkaError._PARTITION_EOF:
                        at_end.add(msg.partition())
                        continue
                    raise LabError(f"reading {topic}: {msg.error().str()}")
                out.append(
                    {
                        "partition": msg.partition(),
                        "offset": msg.offset(),
                        "timestamp": msg.timestamp()[1],
                        "key": msg.key().decode() if msg.key() is not None else None,
                        "value": msg.value(),
                        "headers": {k: v.decode() for k, v in (msg.headers() or [])},
                    }
                )
        return out
    finally:
        consumer.close()
