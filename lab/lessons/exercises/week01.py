"""Week 1 exercise checks: a topic made with the AdminClient, a keyed round trip, commits and a group's lag.

Each check runs the learner's function against the real broker and then asks the broker itself (metadata,
configs, offsets) whether it happened, never the function's own return value alone.
"""

from __future__ import annotations

from collections.abc import Callable

from lab.lessons import kraft
from lab.lessons.exercises import expect
from lab.pipeline import topics
from lab.wait import until

TOPIC_CONFIG = {"retention.ms": "3600000", "cleanup.policy": "delete"}


def _conf() -> dict:
    from lab.services import kafka

    return {"bootstrap.servers": kafka.bootstrap_servers()}


def _fresh(topic: str, partitions: int) -> None:
    topics.delete_topics([topic])
    topics.create(topic, partitions)


def check_create_topic(create_topic: Callable, admin, topic: str, partitions: int = 4) -> str:
    """`create_topic(admin, name, partitions, config)` makes a topic the broker reports with that partition count
    and config."""
    topics.delete_topics([topic])
    create_topic(admin, topic, partitions, dict(TOPIC_CONFIG))
    n = until(lambda: topics.partitions_of(topic), service=f"topic {topic}", timeout=30)
    expect(n == partitions, f"the broker reports {n} partitions for {topic!r}, not {partitions}: pass num_partitions")
    configs = topics.describe(topic)["config"]
    wrong = {k: configs.get(k) for k, v in TOPIC_CONFIG.items() if configs.get(k) != v}
    expect(not wrong, f"the topic's own config has {wrong}, expected {TOPIC_CONFIG}: pass config= to NewTopic")
    return f"{topic}: {n} partitions, retention.ms={configs['retention.ms']} (read back from the broker)"


def round_trip_records(n: int = 30, keys: int = 6) -> list[tuple[str, str]]:
    """The (key, value) pairs the round-trip check produces: `keys` zones, values numbered in produce order."""
    return [(f"zone-{i % keys}", f"trip {i}") for i in range(n)]


def check_round_trip(produce_keyed: Callable, consume_all: Callable, topic: str, group: str, n: int = 30) -> str:
    """The learner's producer delivers every keyed record once, one partition per key; their consumer reads them
    back in per-key order and commits, so the group's committed offsets reach the end of every partition."""
    _fresh(topic, 3)
    records = round_trip_records(n)
    delivered = produce_keyed(_conf(), topic, records)
    expect(
        delivered is not None and len(delivered) == n,
        f"{len(delivered or [])} delivery reports for {n} records: append one per successful delivery, then flush",
    )
    in_topic = topics.partition_counts(topic)
    expect(sum(in_topic.values()) == n, f"the broker holds {sum(in_topic.values())} messages in {topic}, not {n}")
    where: dict[str, set[int]] = {}
    for key, partition, _offset in delivered:
        where.setdefault(key, set()).add(partition)
    split = {k: sorted(p) for k, p in where.items() if len(p) > 1}
    expect(
        not split and set(where) == {k for k, _ in records},
        f"keys must decide the partition: {split or sorted(where)} (produce with key=…)",
    )
    got = consume_all(_conf(), topic, group, n)
    expect(got is not None and len(got) == n, f"your consumer returned {len(got or [])} messages of {n}")
    expect(
        sorted(v for _k, v, _p, _o in got) == sorted(v for _k, v in records),
        "the values read differ from those produced (decode the bytes with .decode())",
    )
    for key in where:
        order = [int(v.split()[1]) for k, v, _p, _o in got if k == key]
        expect(order == sorted(order), f"key {key!r} came back out of order: {order[:6]}")
        expect({p for k, _v, p, _o in got if k == key} == where[key], f"key {key!r} was read from another partition")
    committed = kraft.committed_offsets(topic, group)
    ends = topics.partition_counts(topic)  # a fresh topic: the end offset is the message count
    expect(committed == ends, f"the group committed {committed}, the partitions end at {ends}: commit after reading")
    used = len(set().union(*where.values()))
    return f"{n} records, {len(where)} keys in {used} partitions, order kept per key; committed {committed}"


def check_lag(consume_all: Callable, group_lag: Callable, topic: str, group: str, read: int = 15, n: int = 40) -> str:
    """After the learner's consumer read and committed `read` of `n` messages, their `group_lag` equals the broker's
    end offsets minus the group's committed offsets, per partition."""
    _fresh(topic, 3)
    kraft.produce_strings(topic, [f"event {i}" for i in range(n)], keys=[f"k{i % 5}" for i in range(n)])
    got = consume_all(_conf(), topic, group, read)
    expect(got is not None and len(got) == read, f"your consumer returned {len(got or [])} messages, asked for {read}")
    committed = kraft.committed_offsets(topic, group)
    expect(
        sum(o for o in committed.values() if o >= 0) == read,
        f"the group committed {committed}: that is not the {read} messages read (commit once, after reading)",
    )
    ends = topics.partition_counts(topic)  # a fresh topic: the end offset is the message count
    want = {p: hi - max(committed.get(p, -1), 0) for p, hi in ends.items()}
    lag = group_lag(_conf(), topic, group)
    expect(
        isinstance(lag, dict) and {int(p): int(v) for p, v in lag.items()} == want,
        f"your lag {lag} differs from the broker's end − committed {want} (a partition with nothing committed "
        "lags by all its messages)",
    )
    return f"lag {want}: {sum(want.values())} of {n} messages still to read, as the broker sees it"


def check_same_partition(deliveries, topic: str, count: int) -> str:
    """`count` messages, all with one key, were produced into `topic`, and the broker holds them in one partition."""
    expect(deliveries, "produce the messages first: `deliveries` is empty")
    expect(len(deliveries) == count, f"{len(deliveries)} delivery reports, the exercise asks for {count} messages")
    keys = {d.key for d in deliveries}
    expect(
        len(keys) == 1 and None not in keys,
        f"use one non-empty key for all messages (saw keys {sorted(map(str, keys))[:5]})",
    )
    parts = {d.partition for d in deliveries}
    expect(len(parts) == 1, f"messages spread over partitions {sorted(parts)}")
    in_topic = {p: c for p, c in topics.partition_counts(topic).items() if c}
    expect(
        in_topic == {next(iter(parts)): count},
        f"{topic} holds {in_topic or 'nothing'} (partition: messages); expected all {count} in partition "
        f"{next(iter(parts))}: "
        "produce into this topic, once",
    )
    return (
        f"all {count} messages with key {keys.pop()!r} are in partition {parts.pop()}: same key, same partition, "
        "order kept"
    )
