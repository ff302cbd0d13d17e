"""Week 9 exercise checks: latency percentiles, replay totals and throughput, the v2 reprocessing job, the archive."""

from __future__ import annotations

import contextlib
import math

import pandas as pd

from lab.errors import CheckFailed, LabError
from lab.lessons import loadtest, replay
from lab.lessons.exercises import expect, learner
from lab.pipeline import archive, topics, truth


def check_p95(answer, delays: pd.Series) -> str:
    """The learner's p95 equals pandas' linear-interpolation quantile of the delays."""
    expect(answer is not None, "p95(delays) returned None: return the 95th percentile in seconds")
    truth = float(pd.Series(delays, dtype=float).dropna().quantile(0.95))
    expect(
        math.isclose(float(answer), truth, rel_tol=1e-6, abs_tol=1e-6),
        f"{answer} is not the 95th percentile of the delays (hint: Series.quantile)",
    )
    return f"p95 freshness is {truth:.2f} s: 95 % of the window rows were at most that stale when written"


def check_total(answer, log_trips: int) -> str:
    """The 10-minute replay counts every usable trip in the log, no more, no less."""
    expect(answer is not None, "total_trips(v2) returned None: return the sum of the `trips` column")
    expect(int(answer) == int(log_trips), f"{answer} trips, but the log holds {log_trips} usable trips")
    return f"{answer} trips in both: reprocessing with a new window length lost and doubled nothing"


def check_replay_rate(answer, batches: pd.DataFrame) -> str:
    """Input rows over summed batch time."""
    expect(answer is not None, "replay_rate(batches) returned None: return trips per second")
    seconds = batches["batch_ms"].sum() / 1000
    expect(seconds > 0, "the replay reported no batch time")
    truth = batches["input_rows"].sum() / seconds
    expect(
        math.isclose(float(answer), truth, rel_tol=1e-6),
        f"{answer:.0f} trips/s; sum input_rows and divide by the summed batch_ms/1000",
    )
    return f"the replay ran at {truth:,.0f} trips/s"


def check_reprocess_v2(
    reprocess,
    spark,
    topic: str,
    schema: str,
    log_trips: pd.DataFrame,
    v1_since,
    table: str = "zone_windows_v2",
    window: str = "10 minutes",
    timeout_s: float | None = 900.0,
) -> str:
    """Run the learner's reprocessing job (bounded in time; the lab's own reprocessing and job are refused), then compare what it wrote into `table` with lab.truth for `window`, and
    its trips per hour with v1's (zone_windows rows the replay of section 4 wrote since `v1_since`)."""
    started = pd.Timestamp.now(tz="UTC")
    with learner.stopping_queries(spark) if spark is not None else contextlib.nullcontext():
        learner.call(reprocess, spark, topic, schema, table, refuse=V2_REFUSED, hint=V2_HINT, timeout_s=timeout_s)
    v2 = replay.written_by(table, started)
    expect(
        not v2.empty,
        f"nothing was written to kappa.{table}: write the zone rows with the Cassandra connector "
        f'(format "org.apache.spark.sql.cassandra", keyspace "kappa", table "{table}", mode "append")',
    )

    expect(not log_trips.empty, f"{topic} holds no usable trips: run the load of section 2 first")
    cause = event_time_problem(v2, log_trips, window)
    expect(cause is None, f"kappa.{table}: {cause}")
    diff = truth.compare_table("zone_windows", replay.expected_for(log_trips, window)["zone_windows"], v2)
    expect(
        diff.ok,
        f"kappa.{table} is not lab.truth's {window} windows: {diff.summary()} "
        "(hint: F.window(pickup_ts, '10 minutes') per pu_location_id, and the metrics of zone_windows)",
    )
    v1 = replay.written_by("zone_windows", v1_since)
    expect(not v1.empty, "v1 has no rows from the replay of section 4: run it first")
    side = pd.DataFrame({"v1": replay.per_hour(v1), "v2": replay.per_hour(v2)}).fillna(0)
    off = side[side["v1"] != side["v2"]]
    expect(off.empty, f"trips per hour differ between v1 and v2 in {len(off)} hours, first {off.head(3).to_dict()}")
    return (
        f"kappa.{table} holds {len(v2)} {window} windows equal to lab.truth, and the same trips per hour as v1 "
        f"({int(side['v2'].sum())} trips over {len(side)} hours): ready to switch the readers"
    )


V2_REFUSED = ("lab.lessons.replay.*", "lab.pipeline.stream.*", "lab.pipeline.sink.*", "lab.pipeline.truth.*")
V2_HINT = "spark.read from Kafka, from_avro, F.window and the Cassandra connector"


def event_time_problem(v2: pd.DataFrame, log_trips: pd.DataFrame, window: str) -> str | None:
    """What the v2 rows say about the time their windows are of (None: windows of `window` on the trips' pickups)."""
    if "window_start" not in v2.columns:
        return "the rows have no window_start: write the window's start as window_start"
    starts = pd.to_datetime(v2["window_start"]).dt.tz_localize(None)
    pickups = pd.to_datetime(log_trips["pickup_ts"])
    first, last = pickups.min().floor("1D"), pickups.max().ceil("1D")
    outside = starts[(starts < first) | (starts > last)]
    if len(outside) == len(starts):
        return (
            f"the windows start at {outside.iloc[0]}, outside the trips' pickup days ({first.date()} to "
            f"{last.date()}): they are windows of processing time (current_timestamp, or the Kafka timestamp: when "
            "the record was written); reprocessing must window by event time, F.window('pickup_ts', …)"
        )
    size = pd.Timedelta(window)
    if "window_end" in v2.columns:
        spans = (pd.to_datetime(v2["window_end"]) - pd.to_datetime(v2["window_start"])).dropna().unique()
        if len(spans) and any(pd.Timedelta(d) != size for d in spans):
            return (
                f"its windows are {pd.Timedelta(spans[0]) / pd.Timedelta(minutes=1):g} minutes long, v2's are "
                f"{window}: F.window('pickup_ts', '{window}')"
            )
    odd = starts[starts.dt.floor(size) != starts]
    if len(odd):
        return f"a window starts at {odd.iloc[0]}, not a multiple of {window}: v2's windows are {window} long"
    return None


def check_archive(topic: str, timeout: float = 180.0) -> str:
    """The archive holds every record of `topic` once, byte for byte, with its timestamp (waits up to `timeout`)."""
    try:
        archive.wait_caught_up(topic, timeout=timeout)
    except LabError as exc:
        raise CheckFailed(f"the archive has not caught up with {topic}: {str(exc).splitlines()[0]}") from exc
    result = archive.compare(topic)
    expect(result.records > 0, f"{topic} is empty: produce some trips first")
    expect(result.ok, result.summary())
    return result.summary()


def check_archived_counts(answer, topic: str) -> str:
    """The learner's archived records per partition of `topic` (read from the Iceberg table) equal the broker's."""
    expect(isinstance(answer, dict) and answer, "return a dict partition → archived records of the topic")
    got = {int(p): int(n) for p, n in answer.items()}
    broker = {p: n for p, n in topics.partition_counts(topic).items() if n}
    expect(sum(broker.values()) > 0, f"{topic} is empty: run the load of section 2 first")
    off = {p: (got.get(p, 0), n) for p, n in broker.items() if got.get(p, 0) != n}
    extra = sorted(set(got) - set(broker))
    expect(not extra, f"partitions {extra} are not partitions of {topic} that hold records")
    expect(not off, f"archived vs in the topic, per partition (yours, broker's): {off}")
    return f"the archive holds the {sum(broker.values()):,} records of {topic}, partition by partition"


def check_highest_holding(highest, steps: pd.DataFrame) -> str:
    """The learner's `highest(steps)` gives lab.loadtest.highest_holding's answer on the measured ramp and on a
    made-up one whose answer is known (so a function that always says None cannot pass)."""
    made_up = pd.DataFrame(
        {"target": [1000, 2000, 5000, 10000], "rate": [1000, 1990, 3000, 9900], "p95_s": [1.1, 2.5, 3.0, 2.0]}
    )
    refuse = ("lab.lessons.loadtest.highest_holding",)
    got = learner.call(highest, made_up, refuse=refuse, hint="pandas")
    expect(got == 2000, f"on a ramp whose 5,000 step sent only 3,000 trips/s your answer is {got!r}, expected 2000")
    want = loadtest.highest_holding(steps.to_dict("records"))
    got = learner.call(highest, steps, refuse=refuse, hint="pandas")
    expect(got == want, f"on the measured ramp your answer is {got!r}, expected {want!r}")
    return f"the highest rate holding p95 ≤ {loadtest.P95_TARGET_S:g} s here: {want if want else 'none'}"
