"""The topics' replication factor and min.insync.replicas come from configuration (env), not code: 1 on the local
stack by default, 3 / 2 where a cluster of three brokers says so (k8s/overlays/production)."""

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


def test_the_local_default_is_one_replica(env):
    assert config.TOPIC_REPLICATION_FACTOR == 1
    assert config.topic_replication() == (1, 1)
    for spec in topics.specs("t", "t-dlq").values():
        assert spec["replicas"] == 1 and spec["config"]["min.insync.replicas"] == "1"


@pytest.mark.parametrize(
    ("factor", "min_isr", "expected"),
    [("3", None, (3, 2)), ("3", "3", (3, 3)), ("2", None, (2, 1)), ("5", "3", (5, 3)), (" 3 ", "", (3, 2))],
)
def test_the_factor_and_min_isr_come_from_the_environment(env, factor, min_isr, expected):
    env.setenv(RF, factor)
    if min_isr is not None:
        env.setenv(MIN_ISR, min_isr)
    assert config.topic_replication() == expected
    specs = topics.specs("trips", "trips-dlq")
    assert {s["replicas"] for s in specs.values()} == {expected[0]}
    assert {s["config"]["min.insync.replicas"] for s in specs.values()} == {str(expected[1])}
    assert specs["trips"]["partitions"] == config.TOPIC_PARTITIONS  # the rest is unchanged


@pytest.mark.parametrize(("var", "value"), [(RF, "0"), (RF, "three"), (RF, "-1"), (MIN_ISR, "0"), (MIN_ISR, "2.5")])
def test_a_bad_value_says_which_variable_to_fix(env, var, value):
    env.setenv(var, value)
    with pytest.raises(LabError, match=f"{var}={value!r} is not a positive whole number"):
        config.topic_replication()


def test_min_isr_above_the_factor_is_refused(env):
    env.setenv(RF, "3")
    env.setenv(MIN_ISR, "4")
    with pytest.raises(LabError, match=f"{MIN_ISR}=4 exceeds {RF}=3.*at most 3 \\(usually 2\\)"):
        config.topic_replication()
