"""Week 9 exercise checks: latency percentiles, replay totals and throughput."""

from __future__ import annotations

import math

import pandas as pd

from lab.errors import CheckFailed, LabError
from lab.lessons.exercises import expect


def check_p95(answer, delays: pd.Series) -> str:
    """The learner's p95 equals pandas' linear-interpolation quantile of the delays."""
    expect(answer is not None, "set my_p95 to a number of seconds")
    truth = float(pd.Series(delays, dtype=float).dropna().quantile(0.95))
    expect(
        math.isclose(float(answer), truth, rel_tol=1e-6, abs_tol=1e-6),
        f"{answer} is not the 95th percentile of the delays (hint: Series.quantile)",
    )
    return f"p95 freshness is {truth:.2f} s: 95 % of the window rows were at most that stale when written"


def check_total(answer, log_trips: int) -> str:
    """The 10-minute replay counts every usable trip in the log, no more, no less."""
    expect(answer is not None, "set total_10min to the sum of the `trips` column")
    expect(int(answer) == int(log_trips), f"{answer} trips, but the log holds {log_trips} usable trips")
    return f"{answer} trips in both: reprocessing with a new window length lost and doubled nothing"


def check_replay_rate(answer, batches: pd.DataFrame) -> str:
    """Input rows over summed batch time."""
    expect(answer is not None, "set replay_rate to trips per second")
    seconds = batches["batch_ms"].sum() / 1000
    expect(seconds > 0, "the replay reported no batch time")
    truth = batches["input_rows"].sum() / seconds
    expect(
        math.isclose(float(answer), truth, rel_tol=1e-6),
        f"{answer:.0f} trips/s; sum input_rows and divide by the summed batch_ms/1000",
    )
    return f"the replay ran at {truth:,.0f} trips/s"


def check_archive(topic: str, timeout: float = 180.0) -> str:
    """The archive holds every record of `topic` once, byte for byte, with its timestamp (waits up to `timeout`)."""
    from lab.pipeline import archive

    try:
        archive.wait_caught_up(topic, timeout=timeout)
    except LabError as exc:
        raise CheckFailed(f"the archive has not caught up with {topic}: {str(exc).splitlines()[0]}") from exc
    result = archive.compare(topic)
    expect(result.records > 0, f"{topic} is empty: produce some trips first")
    expect(result.ok, result.summary())
    return result.summary()
