"""Week 3: the learner's producer against the lab's tuned one, on the same rows into fresh topics of their own."""

from __future__ import annotations

import time
from collections.abc import Callable

import pandas as pd

from lab.lessons.exercises import solved_or
from lab.pipeline import produce, topics


def timed_run(send: Callable[[str, str], object], topic: str) -> tuple[float, object]:
    """Seconds `send(topic, dlq)` takes to produce into freshly made `topic` and `topic`-dlq, and what it returned."""
    topics.delete_topics([topic, f"{topic}-dlq"])
    topics.ensure_topics(topic, f"{topic}-dlq")
    start = time.perf_counter()
    result = send(topic, f"{topic}-dlq")
    return time.perf_counter() - start, result


def against_tuned(
    mine: Callable[[str, str], object], accepted: pd.DataFrame, rejected: pd.DataFrame, prefix: str
) -> tuple[pd.DataFrame, produce.ProduceReport, str]:
    """Time `mine(topic, dlq)` and `lab.produce.produce_frame` on the same rows (topics `prefix`-timed and
    `prefix`-tuned); returns the table of seconds and trips/s, the tuned run's report and its topic.

    When `mine` is not solved yet or raises, its row says NaN (with a note) and the tuned run still happens."""
    tuned_topic = f"{prefix}-tuned"
    tuned_s, report = timed_run(
        lambda t, d: produce.produce_frame(accepted, rejected, topic=t, dlq=d, progress=False), tuned_topic
    )
    mine_s = solved_or(lambda: timed_run(mine, f"{prefix}-timed")[0], lambda: float("nan"), "produce_trips")
    table = pd.DataFrame(
        {"seconds": [mine_s, tuned_s], "trips/s": [len(accepted) / mine_s, len(accepted) / tuned_s]},
        index=["your produce_trips (AvroSerializer per row)", "lab.produce.produce_frame (vectorised)"],
    ).round(2)
    return table, report, tuned_topic
