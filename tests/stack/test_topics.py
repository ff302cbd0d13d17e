"""lab.topics on the real broker: a topic it creates or deletes takes the checkpoints of the queries reading it along."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from lab import stream, topics

pytestmark = pytest.mark.stack


def _checkpoint(name: str, topic: str) -> Path:
    """A checkpoint under <LAB_HOME>/checkpoints as Spark 3.5 lays one out for a Kafka source (offset log)."""
    cp = stream.checkpoint_root() / name
    (cp / "offsets").mkdir(parents=True)
    (cp / "offsets" / "0").write_text(f'v1\n{{"batchWatermarkMs":0,"conf":{{}}}}\n{json.dumps({topic: {"0": 693}})}')
    return cp


def test_creating_a_topic_again_resets_only_the_checkpoints_that_read_it(stack, unique_name):
    topic, dlq = unique_name, f"{unique_name}-dlq"
    stale, other = _checkpoint(f"{unique_name}-reads-it", topic), _checkpoint(f"{unique_name}-other", "someone-else")
    try:
        assert topics.ensure_topics(topic, dlq) == {topic: "created", dlq: "created"}
        assert not stale.exists(), "a checkpoint of a former topic of that name would skip the new one's trips"
        assert other.exists()
        kept = _checkpoint(f"{unique_name}-reads-it", topic)
        assert topics.ensure_topics(topic, dlq) == {topic: "exists", dlq: "exists"}
        assert kept.exists(), "a topic that already exists keeps its readers' checkpoints"
        assert topics.delete_topics([topic, dlq]) == {topic: "deleted", dlq: "deleted"}
        assert not kept.exists() and other.exists()
    finally:
        topics.delete_topics([topic, dlq])
        for cp in (stale, other):
            shutil.rmtree(cp, ignore_errors=True)


def test_create_one_topic_and_count_its_partitions(stack, unique_name):
    """lab.topics.create (week 1's tuned version): created, then exists; a different partition count is refused."""
    from lab.errors import LabError

    try:
        assert topics.partitions_of(unique_name) == 0
        assert topics.create(unique_name, partitions=3, **{"retention.ms": "3600000"}) == "created"
        assert topics.partitions_of(unique_name) == 3
        assert topics.create(unique_name, partitions=3) == "exists"
        with pytest.raises(LabError, match="exists with 3 partitions, not 2"):
            topics.create(unique_name, partitions=2)
        assert topics.describe(unique_name)["config"]["retention.ms"] == "3600000"
    finally:
        topics.delete_topics([unique_name])
    assert topics.partitions_of(unique_name) == 0
