"""Week 1 exercise checks: topics, keys and partitions, consumer groups."""
from __future__ import annotations

from lab.lessons import kraft
from lab.lessons.exercises import expect
from lab.pipeline import topics


def check_topic_partitions(topic: str, partitions: int = 4) -> str:
    """The topic exists with the requested number of partitions."""
    n = kraft.partitions_of(topic)
    expect(n > 0, f"topic {topic!r} does not exist yet: create it with lab.kraft.create_topic")
    expect(n == partitions, f"{topic!r} has {n} partitions, the exercise asks for {partitions}")
    return f"{topic} has {n} partitions"


def check_same_partition(deliveries) -> str:
    """Every message produced with one key landed in one partition."""
    expect(deliveries, "produce the messages first: `deliveries` is empty")
    keys = {d.key for d in deliveries}
    expect(len(keys) == 1 and None not in keys, f"use one non-empty key for all messages (saw keys {sorted(map(str, keys))[:5]})")
    parts = {d.partition for d in deliveries}
    expect(len(parts) == 1, f"messages spread over partitions {sorted(parts)}")
    return f"all {len(deliveries)} messages with key {keys.pop()!r} are in partition {parts.pop()}: same key, same partition, order kept"


def check_committed(topic: str, group: str) -> str:
    """The group has committed offsets covering every message in the topic."""
    offsets = kraft.committed_offsets(topic, group)
    total = sum(o for o in offsets.values() if o >= 0)
    expected_total = topics.count_messages(topic)
    expect(total > 0, f"group {group!r} has committed nothing on {topic!r}: consume with commit=True")
    expect(total == expected_total, f"committed offsets add up to {total}, but the topic holds {expected_total} messages")
    return f"group {group} committed {total} = every message in {topic}"
