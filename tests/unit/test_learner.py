"""The tools checks run learner code with: one line per error, refused shortcuts, time bounds, fallbacks (no stack)."""

from __future__ import annotations

import time

import pytest

import lab
from lab.errors import CheckFailed
from lab.lessons.exercises import grade, learner

# A StreamingQueryException's root cause as pyspark 3.5 reports it (its `desc`): a UDF's Python error.
UDF_FAILED = (
    "\n  An exception was thrown from the Python worker. Please see the stack trace below.\nTraceback (most recent "
    'call last):\n  File "/home/me/answer.py", line 9, in <lambda>\n    F.udf(lambda x: 1 / 0)\n'
    "ZeroDivisionError: division by zero\n"
)
JAVA_FAILED = (
    "[STREAM_FAILED] Query [id = 7, runId = 8] terminated with exception: Failed to construct kafka consumer\n"
    "\tat org.apache.kafka.clients.consumer.KafkaConsumer.<init>(KafkaConsumer.java:823)\n"
    "Caused by: org.apache.kafka.common.config.ConfigException: No resolvable bootstrap urls given\n"
    "\tat org.apache.kafka.clients.ClientUtils.parseAndValidateAddresses(ClientUtils.java:89)\n"
)


def test_any_error_is_one_line_with_the_learners_frame(capsys):
    """Fails when an exception from learner code escapes grade() or its line misses the kind, message or line."""

    def mine():
        return {"a": 1}["zone"]

    graded = grade(mine)
    assert not graded.ok and capsys.readouterr().out.count("\n") == 1
    assert graded.line.startswith("❌ Your code raised KeyError: 'zone' (test_learner.py:")
    assert 'in mine(): `return {"a": 1}["zone"]`' in graded.line
    with pytest.raises(KeyError):
        grade(mine, strict=True)


def test_the_labs_own_error_is_not_blamed_on_the_learner():
    """Fails when a service the check needs (a LabError from the lab's code) is reported as the learner's bug."""
    from lab.wait import until

    def check():
        until(lambda: False, service="kafka", timeout=0.01, interval=0.005)

    line = grade(check).line
    assert line.startswith("❌ The check could not finish: ServiceNotReady: kafka not ready"), line


@pytest.mark.parametrize(
    "desc, line",
    [
        (UDF_FAILED, "ZeroDivisionError: division by zero (in <lambda>(), answer.py:9, run by Spark)"),
        (JAVA_FAILED, "org.apache.kafka.common.config.ConfigException: No resolvable bootstrap urls given"),
        ("[STREAM_FAILED] Query [id = 1, runId = 2] terminated with exception: boom\n\tat x.y(Z.java:1)", "boom"),
    ],
)
def test_spark_errors_give_their_root_cause(desc, line):
    """Fails when a Spark error shows its JVM stack, its query ids, or misses the Python error of a UDF."""

    class StreamingQueryException(Exception):
        def __init__(self, desc, cause=None):
            super().__init__(desc)
            self.desc, self.cause = desc, cause

    exc = StreamingQueryException("[STREAM_FAILED] Query [id = 1] terminated", StreamingQueryException(desc))
    assert learner.root_cause(exc) == ("StreamingQueryException", line)


def _refused(fn, *targets):
    return learner.shortcuts_in(fn, learner.Refusals(targets))


def test_shortcuts_are_found_however_they_are_named():
    """Fails when calling the lab's implementation passes because it was imported, aliased or hidden in a helper."""
    from lab.lessons.kraft import produce_strings as ps

    def dotted():
        return lab.kraft.produce_strings("t", [])

    def aliased():
        return ps("t", [])

    def imported_inside():
        from lab.pipeline.produce import produce_frame

        return produce_frame

    def helper():
        return lab.exercises.week03.check_rules  # the checks (and their truth) are always refused

    def via_helper():
        return [helper() for _ in range(1)]

    def clean():
        return lab.kafka.bootstrap_servers()

    assert _refused(dotted, "lab.kraft.*") == ["lab.kraft.produce_strings"]
    assert _refused(aliased, "lab.kraft.produce_strings") == ["lab.kraft.produce_strings"]
    assert _refused(imported_inside, "lab.produce.*") == ["lab.produce.produce_frame"]
    assert _refused(via_helper) == ["lab.exercises.week03.check_rules"]
    assert _refused(clean, "lab.kraft.*", "lab.produce.*") == []


def test_a_shortcut_reached_at_run_time_is_refused():
    """Fails when a call that no code reading can see (getattr) passes: the watched function records it."""

    def sneaky(topic):
        fn = getattr(lab.kraft, "committed_" + "offsets")
        try:
            fn(topic, "g", timeout=0.01)
        except Exception:  # noqa: BLE001 - no broker here: only the call matters
            pass

    with pytest.raises(CheckFailed, match="calls `lab.kraft.committed_offsets`.*client API"):
        learner.call(sneaky, "t", refuse=["lab.kraft.committed_offsets"], timeout_s=20)
    with pytest.raises(CheckFailed, match="calls `lab.kraft.committed_offsets`"):
        learner.call(sneaky, "t", refuse=["lab.kraft.*"], timeout_s=20)
    assert lab.kraft.committed_offsets.__module__ == "lab.lessons.kraft" and not hasattr(
        lab.kraft.committed_offsets, "__wrapped__"
    ), "the lab's functions are given back after the call"


def test_a_hanging_function_is_bounded():
    """Fails when a learner function that never returns hangs the check instead of failing it."""
    start = time.monotonic()
    with pytest.raises(CheckFailed, match="`forever` did not return within 1 s"):
        learner.within(lambda: None, timeout_s=1) or learner.call(_forever, timeout_s=1)
    assert time.monotonic() - start < 5
    time.sleep(0.5)
    assert time.monotonic() - _ran_until > 0.3, "the busy loop still runs after its time: it must be stopped"


def test_the_labs_function_given_as_the_answer_is_refused():
    """Fails when `answer = lab.kraft.produce_strings` (the lab's function itself, not called from learner code)
    passes."""
    with pytest.raises(CheckFailed, match="lab.kraft.produce_strings"):
        learner.call(lab.kraft.produce_strings, "t", [], refuse=["lab.kraft.*"])


def _forever():
    global _ran_until
    while True:
        _ran_until = time.monotonic()


_forever.__name__ = "forever"
_ran_until = 0.0


def test_fallback_uses_the_labs_version_and_says_so(capsys):
    """Fails when a missing or failing earlier function stops a check instead of the lab's version standing in."""

    def broken(x):
        return x / 0

    assert learner.fallback(broken, lambda x: x + 1, "step one")(1) == 2
    assert "step one: yours raised ZeroDivisionError" in capsys.readouterr().out
    assert learner.fallback(None, lambda: 7, "step two")() == 7
    assert learner.fallback(lambda: 3, lambda: 7, "step three")() == 3


def test_producer_settings_are_the_ones_used():
    """Fails when a producer built with acks=1 or without idempotence inside the function is not seen."""
    from confluent_kafka import Producer

    def mine():
        p = Producer({"bootstrap.servers": "127.0.0.1:1", "acks": 1})
        p.produce("t", b"v", b"k", 2)
        return {"enable.idempotence": True, "acks": "all"}  # what it claims

    with learner.recording_producers(mine) as log:
        mine()
    assert log[0].forced_partitions == {2} and log[0].config["acks"] == 1
    problems = " ".join(learner.producer_problems(log, "t"))
    assert "enable.idempotence=None" in problems and "acks=1" in problems
    assert learner.producer_problems(log, "other") == [
        "no confluent_kafka Producer built inside your function produced to other: build it there, with Producer(conf)"
    ]
