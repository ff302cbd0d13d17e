"""Week 9 exercise checks: latency percentiles, replay totals and throughput, the v2 reprocessing job, the archive."""

from __future__ import annotations

import contextlib
import math

import pandas as pd

from lab.errors import CheckFailed, LabError
from lab.lessons import loadtest, replay
from lab.lessons.exercises import expect, learner
from lab.pipeline import archive, topics, truth

P95_MADE_UP = [3.0, 1.0, 4.0, 1.5, 5.0, 9.0, 2.0, 6.0, 5.5, 3.5, 100.0]  # q95 54.5; max 100, q90 9, mean 12.8


def _p95_problem(answer, delays: pd.Series) -> str | None:
    """What is wrong with `answer` as the 95th percentile (linear interpolation) of `delays` (None: nothing)."""
    d = pd.Series(delays, dtype=float).dropna()
    try:
        got = float(answer)
    except (TypeError, ValueError):
        return f"return the 95th percentile in seconds as a number, not {answer!r}"
    truth = float(d.quantile(0.95))
    if math.isclose(got, truth, rel_tol=1e-6, abs_tol=1e-6):
        return None
    named = {
        "the largest delay (the 100th percentile)": d.max(),
        "the mean": d.mean(),
        "the median": d.median(),
        "the 90th percentile": d.quantile(0.9),
        "the 99th percentile": d.quantile(0.99),
        "a delay of the sorted list at position int(0.95 × n), without interpolation": d.sort_values().iloc[
            min(int(0.95 * len(d)), len(d) - 1)
        ],
    }
    for name, value in named.items():
        if math.isclose(got, float(value), rel_tol=1e-6, abs_tol=1e-6):
            return (
                f"{got:g} is {name}: the 95th percentile interpolates between the two nearest delays (Series.quantile)"
            )
    return f"{got:g} is not the 95th percentile of the delays (hint: Series.quantile)"


P95_REFUSED = ("lab.lessons.loadtest.latency",)


def check_p95(p95, delays: pd.Series) -> str:
    """The learner's `p95(delays)` equals pandas' linear-interpolation quantile: on made-up delays (one far outlier,
    so the max, the mean, other percentiles and a rank without interpolation each differ), then on `delays`."""

    made = pd.Series(P95_MADE_UP, name="delay_s")
    problem = _p95_problem(learner.call(p95, made.copy(), refuse=P95_REFUSED, hint="pandas"), made)
    expect(problem is None, f"on made-up delays {P95_MADE_UP}: {problem}")
    answer = learner.call(p95, pd.Series(delays).copy(), refuse=P95_REFUSED, hint="pandas")
    expect(answer is not None, "p95(delays) returned None: return the 95th percentile in seconds")
    problem = _p95_problem(answer, delays)
    expect(problem is None, f"on the demo's delays: {problem}")
    truth = float(pd.Series(delays, dtype=float).dropna().quantile(0.95))
    return f"p95 freshness is {truth:.2f} s: 95 % of the window rows were at most that stale when written"


def _total_made_up() -> pd.DataFrame:
    """Window rows whose total the check knows: 13 trips in 3 rows (passengers 20)."""
    return pd.DataFrame(
        {
            "zone_id": [161, 161, 237],
            "window_start": pd.to_datetime(["2021-01-01 12:00", "2021-01-01 12:10", "2021-01-01 12:00"]),
            "trips": [5, 7, 1],
            "passengers": [8, 10, 2],
        }
    )


def _total_problem(answer, want: int, rows: pd.DataFrame) -> str | None:
    try:
        got = int(answer)
    except (TypeError, ValueError):
        return f"return the number of trips, not {answer!r}"
    if got == want:
        return None
    if got == len(rows):
        return f"{got} is the number of window rows: each row counts `trips` trips; sum the trips column"
    return f"{got} trips, but the rows hold {want}"


TOTAL_REFUSED = ("lab.pipeline.truth.*", "lab.lessons.replay.*")


def check_total(total_trips, v2: pd.DataFrame, log_trips: int) -> str:
    """The learner's `total_trips(windows)` sums the trips of window rows: on made-up rows, then on v2's, where it
    must equal the usable trips of the log (reprocessing with a new window length lost and doubled nothing)."""

    made = _total_made_up()
    problem = _total_problem(learner.call(total_trips, made.copy(), refuse=TOTAL_REFUSED, hint="pandas"), 13, made)
    expect(problem is None, f"on made-up window rows (5 + 7 + 1 trips): {problem}")
    answer = learner.call(total_trips, v2.copy(), refuse=TOTAL_REFUSED, hint="pandas")
    expect(answer is not None, "total_trips(v2) returned None: return the sum of the `trips` column")
    problem = _total_problem(answer, int(log_trips), v2)
    expect(problem is None, f"on v2: {problem} (the log holds {log_trips} usable trips)")
    return f"{int(answer)} trips in both: reprocessing with a new window length lost and doubled nothing"


def _rate_made_up() -> pd.DataFrame:
    """Micro-batches whose replay rate the check knows: 4,010 rows in 7 s (573 trips/s); the mean of the batches'
    own rates is 420, their processed_rows_per_s another number."""
    return pd.DataFrame(
        {
            "batch": [0, 1, 2],
            "input_rows": [1000, 10, 3000],
            "processed_rows_per_s": [480.0, 12.0, 760.0],
            "batch_ms": [2000, 1000, 4000],
        }
    )


def _rate_problem(answer, batches: pd.DataFrame) -> str | None:
    seconds = batches["batch_ms"].sum() / 1000
    truth = batches["input_rows"].sum() / seconds
    try:
        got = float(answer)
    except (TypeError, ValueError):
        return f"return trips per second as a number, not {answer!r}"
    if math.isclose(got, truth, rel_tol=1e-6):
        return None
    if math.isclose(got * 1000, truth, rel_tol=1e-6) or math.isclose(got / 1000, truth, rel_tol=1e-6):
        return f"{got:g} is off by a factor of 1000: batch_ms is in milliseconds (divide its sum by 1000)"
    per_batch = (batches["input_rows"] / (batches["batch_ms"] / 1000)).mean()
    if math.isclose(got, per_batch, rel_tol=1e-6) or math.isclose(
        got, batches["processed_rows_per_s"].mean(), rel_tol=1e-6
    ):
        return (
            f"{got:.0f} trips/s is a mean of the batches' own rates, which weighs a small batch like a big one: "
            "sum the input rows and divide by the summed batch time"
        )
    return f"{got:.0f} trips/s is not it: sum input_rows and divide by the summed batch_ms/1000"


RATE_REFUSED = ("lab.observe.progress.*", "lab.lessons.replay.*")


def check_replay_rate(replay_rate, batches: pd.DataFrame) -> str:
    """The learner's `replay_rate(batches)` is all input rows over the summed batch time: on made-up batches (one
    small, so a mean of rates differs), then on the replay's."""

    made = _rate_made_up()
    problem = _rate_problem(learner.call(replay_rate, made.copy(), refuse=RATE_REFUSED, hint="pandas"), made)
    expect(problem is None, f"on made-up batches (1,000, 10 and 3,000 rows in 2, 1 and 4 s): {problem}")
    seconds = batches["batch_ms"].sum() / 1000
    expect(seconds > 0, "the replay reported no batch time")
    answer = learner.call(replay_rate, batches.copy(), refuse=RATE_REFUSED, hint="pandas")
    expect(answer is not None, "replay_rate(batches) returned None: return trips per second")
    problem = _rate_problem(answer, batches)
    expect(problem is None, f"on the replay's batches: {problem}")
    return f"the replay ran at {batches['input_rows'].sum() / seconds:,.0f} trips/s"


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
