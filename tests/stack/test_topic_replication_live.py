"""The configured replication factor on the real one-broker stack (the settings themselves: tests/unit/
test_topic_replication.py)."""

from __future__ import annotations

import pytest

from lab import config, topics
from lab.errors import LabError

RF, MIN_ISR = config.TOPIC_REPLICATION_ENV, config.TOPIC_MIN_ISR_ENV


@pytest.fixture
def env(monkeypatch):
    monkeypatch.delenv(RF, raising=False)
    monkeypatch.delenv(MIN_ISR, raising=False)
    return monkeypatch


@pytest.mark.stack
def test_the_broker_gets_the_configured_factor_and_refuses_more_than_it_has(stack, env, unique_name):
    """On the one-broker local stack: RF 1 is created and verified; RF 2 is refused with what to set."""
    trips, dlq = unique_name, f"{unique_name}-dlq"
    env.setenv(RF, "1")
    try:
        assert topics.ensure_topics(trips, dlq) == {trips: "created", dlq: "created"}
        info = topics.describe(trips)
        assert info["replicas"] == 1 and info["config"]["min.insync.replicas"] == "1"
        env.setenv(RF, "2")
        with pytest.raises(LabError, match="replication factor 1, expected 2"):
            topics.ensure_topics(trips, dlq)  # an existing topic set up otherwise is named, not silently used
        with pytest.raises(LabError, match=f"cannot create topic {unique_name}-x: .*{RF}.*at most the number of"):
            topics.create(f"{unique_name}-x", partitions=1)
        assert topics.partitions_of(f"{unique_name}-x") == 0
    finally:
        topics.delete_topics([trips, dlq])
