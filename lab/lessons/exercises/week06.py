"""Week 6 exercise checks: PromQL for rates and lag, where a restarted query resumes, and a restored backup."""

from __future__ import annotations

import re
import time

import pandas as pd

from lab import config
from lab.errors import CheckFailed, LabError
from lab.lessons.exercises import expect, learner
from lab.observe import promql
from lab.pipeline import tables, truth
from lab.services import backup, prometheus

# The reference answers, for a week's own trips topic and its `<topic>-dlq` (week 6 produces into its own topic).
_TEMPLATES = {
    "dlq_rate": 'sum(rate(kafka_server_brokertopicmetrics_messagesinpersec_total{{topic="{topic}-dlq"}}[1m]))',
    # the recording rule's definition, evaluated raw: the recorded series lags by up to one rule evaluation,
    # so comparing a raw answer with it at the same instant would race
    "total_lag": (
        'sum(max by (topic, partition) (kafka_log_log_logendoffset{{topic="{topic}"}}) - on (topic, partition) '
        'max by (topic, partition) (lab_spark_source_end_offset{{topic="{topic}"}}))'
    ),
    "write_p99_ms": 'max(cassandra_clientrequest_latency_seconds{{operation="Write",quantile="0.99"}}) * 1000',
}


def reference(exercise: str, topic: str = config.TRIPS_TOPIC) -> str:
    """The reference PromQL of `exercise` for trips topic `topic` (its dead-letter topic is `<topic>-dlq`)."""
    expect(exercise in _TEMPLATES, f"unknown exercise {exercise!r}: one of {', '.join(_TEMPLATES)}")
    return _TEMPLATES[exercise].format(topic=topic)


REFERENCE = {name: reference(name) for name in _TEMPLATES}  # for the lab's shared topic, taxi-trips


def _value(expr: str, at: float) -> float | None:
    try:
        return promql.value(expr, at)
    except LabError as exc:  # a rejected expression or several series: say what is wrong
        raise CheckFailed(str(exc)) from None


LOOKBACK_S = 1800  # how far back the check looks for an instant with traffic (a slow smoke run of week 6)
STEP_S = 5


def _range(expr: str, start: float, end: float, step: float = STEP_S) -> dict[float, float]:
    """The single series of `expr` over [start, end] as {timestamp: value} (empty when it has no data)."""
    try:
        result = prometheus.api("query_range", timeout=10, query=expr, start=start, end=end, step=step)["result"]
    except LabError as exc:  # Prometheus refused the expression: its reason, as a failed check
        raise CheckFailed(str(exc)) from None
    expect(len(result) <= 1, f"the query returns {len(result)} series; aggregate them into one (sum, max …)")
    return {float(t): float(v) for t, v in result[0]["values"]} if result else {}


def traffic_instant(
    exercise: str, end: float | None = None, lookback_s: float = LOOKBACK_S, topic: str = config.TRIPS_TOPIC
) -> float:
    """The latest instant of the last `lookback_s` seconds at which the reference answer is not 0 (traffic flowed).

    Comparing at "now" is no check: once the traffic stops both the answer and the reference are 0, and `vector(0)`
    would pass.
    """
    end = time.time() - 1 if end is None else end
    ref = _range(reference(exercise, topic), end - lookback_s, end)
    busy = [t for t, v in sorted(ref.items()) if v != 0]
    expect(
        busy,
        f"the reference answer of {exercise!r} is 0 or absent over the last {lookback_s / 60:.0f} minutes: "
        "there is no traffic to compare with; run the cells above that produce trips (with the stream "
        "running), then check",
    )
    return busy[-1]


def check_promql(expr: str, exercise: str, at: float | None = None, topic: str = config.TRIPS_TOPIC) -> str:
    """`expr` returns the same single number as the reference answer of `exercise` for trips topic `topic` at an
    instant with traffic (`at`, or the latest such instant of the last LOOKBACK_S seconds).

    `expr` may be the learner's function of the topic (`total_lag`), then called bounded in time."""
    expr = _expression(expr, topic)
    want = reference(exercise, topic)
    at = traffic_instant(exercise, topic=topic) if at is None else at
    yours, ref = _value(expr, at), _value(want, at)
    when = time.strftime("%H:%M:%S", time.gmtime(at))
    expect(
        ref is not None and ref != 0, f"the reference has no traffic at {when} UTC; pick an instant while trips flow"
    )
    expect(yours is not None, "your query returns no data (check metric names and label values)")
    expect(
        abs(yours - ref) <= 1e-6 * max(1.0, abs(ref)),
        f"your query gives {yours:g}, expected {ref:g} (at {when} UTC, with traffic)",
    )
    said = f"{expr} = {yours:g} while trips flowed, as the reference"
    if exercise == "total_lag":
        said += "; and " + check_lag_per_partition(expr, topic)
    return said


# Made-up offsets on which the per-partition step matters: two queries read the topic (the live job and a replay far
# behind it), and the partitions differ in progress. Each metric's selector in an answer is replaced by these series
# (built in PromQL with label_replace), so the answer is judged on this data whatever the stack holds right now.
LAG_LOG_END = {"0": 1000, "1": 500, "2": 40}  # partition → log end offset
LAG_SPARK = {"live": {"0": 900, "1": 480, "2": 40}, "replay": {"0": 200, "1": 100, "2": 0}}  # query → partition → next
_LAG_METRICS = ("kafka_log_log_logendoffset", "lab_spark_source_end_offset")


def _series(value: float, labels: dict[str, str]) -> str:
    expr = f"vector({value:g})"
    for name, v in labels.items():
        expr = f'label_replace({expr}, "{name}", "{v}", "", "")'
    return expr


def _made_up(metric: str, topic: str) -> str:
    """The made-up series of one lag metric as a PromQL expression (one series per partition, and per query)."""
    if metric == "kafka_log_log_logendoffset":
        parts = [_series(v, {"topic": topic, "partition": p}) for p, v in LAG_LOG_END.items()]
    else:
        parts = [
            _series(v, {"query": q, "topic": topic, "partition": p})
            for q, offsets in LAG_SPARK.items()
            for p, v in offsets.items()
        ]
    return "(" + " or ".join(parts) + ")"


_SELECTOR = re.compile(r"\b(" + "|".join(_LAG_METRICS) + r")\b\s*(\{[^}]*\})?")


def on_made_up_offsets(expr: str, topic: str) -> str:
    """`expr` with each lag metric's selector replaced by its made-up series."""
    return _SELECTOR.sub(lambda m: _made_up(m.group(1), topic), expr)


def _expression(expr, topic: str) -> str:
    """The learner's PromQL: the string, or what their function of the topic returns (bounded in time)."""
    if callable(expr):
        expr = learner.call(expr, topic, refuse=("lab.lessons.exercises.week06",), hint="PromQL")
    expect(isinstance(expr, str) and expr.strip(), "write your PromQL expression as a string")
    return expr


def check_lag_per_partition(expr, topic: str) -> str:
    """`expr` gives the reference's total lag on made-up offsets of two queries and partitions of different progress
    (LAG_LOG_END, LAG_SPARK): a sum over every series, or a max over partitions, does not."""
    expr = _expression(expr, topic)
    want = _value(on_made_up_offsets(reference("total_lag", topic), topic), time.time())
    try:
        yours = _value(on_made_up_offsets(expr, topic), time.time())
    except CheckFailed as exc:
        raise CheckFailed(
            f"on offsets where two queries read {topic} (the live job and a replay far behind), your expression "
            f"fails: {str(exc).rsplit('): ', 1)[-1]}. Take one value per partition on each side first (max by (partition)), then subtract "
            "and sum"
        ) from None
    expect(
        yours is not None and abs(yours - want) < 1e-6,
        f"on offsets where two queries read {topic} (the live job at {LAG_SPARK['live']}, a replay at "
        f"{LAG_SPARK['replay']}; log end {LAG_LOG_END}), your expression gives "
        f"{'no data' if yours is None else f'{yours:g}'}, the total lag is {want:g} (the live job's, summed over "
        "the partitions): take one value per partition on each side (max by (partition)) before subtracting",
    )
    return f"{want:g} on made-up offsets of two queries"


def check_resumed(before: dict, resumed: dict) -> str:
    """The restarted query started exactly at the offsets the stopped one had reached (per partition)."""
    expect(before and resumed, "both dicts must hold partition → offset (run the stop / restart cells first)")
    expect(
        {str(k) for k in before} == {str(k) for k in resumed},
        f"partitions differ: {sorted(before)} vs {sorted(resumed)}",
    )
    diff = {p: (before[p], resumed[str(p)]) for p in before if int(before[p]) != int(resumed[str(p)])}
    expect(not diff, f"offsets differ (before, resumed): {diff}")
    return f"resumed at exactly {dict(sorted(resumed.items()))}: no message skipped, none read twice"


def check_restore(name: str, before: dict[str, pd.DataFrame]) -> str:
    """Backup `name` exists and every table in `before` (read before the backup) holds exactly those rows again."""
    expect(name in backup.list_backups(), f"no backup {name!r}: make it with lab.backup.backup({name!r}) first")
    expect(
        before and all(len(df) for df in before.values()), "`before` is empty: read the tables before destroying them"
    )
    lines = []
    for table, rows in before.items():
        diff = truth.compare_table(table, rows, tables.read(table))
        expect(diff.ok, f"{table} differs from before the backup: {diff.summary()}")
        lines.append(f"{table}: {diff.compared} rows, 0 differences")
    return "restored exactly: " + "; ".join(lines)


def safety_backup(name: str) -> str:
    """The check's own backup of the keyspace, taken before the learner's function runs; its name."""
    safety = f"{name}-safety"
    backup.delete(safety)
    backup.backup(safety)
    return safety


def recover(table: str, before: pd.DataFrame, safety: str) -> bool:
    """Restore `table` from the safety backup when it is gone or does not hold the rows it had; True when it did.
    By hand: `lab.backup.restore("<name>-safety", ["zone_windows"])`."""
    try:
        intact = truth.compare_table(table, before, tables.read(table)).ok
    except Exception:  # noqa: BLE001 - a dropped table, a half restore: all mean "restore it"
        intact = False
    if intact:
        return False
    print(
        f"ℹ️ kappa.{table} did not hold its rows after your function: the check restores it from its own "
        f"safety backup {safety!r} (by hand: lab.backup.restore({safety!r}, [{table!r}]))"
    )
    backup.restore(safety, [table])
    return True


def _live_sstables(table: str) -> set[tuple[int, int]]:
    """The table's SSTables on the node after a flush (the rows written so far are then in files), as (inode, mtime):
    a restored file may take a former file's name, never its identity (snapshots keep the old files linked)."""
    backup.nodetool("flush", config.KEYSPACE, table)
    live = backup.table_dirs(config.KEYSPACE).get(table)
    return {(f.stat().st_ino, f.stat().st_mtime_ns) for f in live.glob("*-Data.db")} if live else set()


def check_snapshot_restore(
    snapshot_destroy_restore, name: str, table: str = "zone_windows", timeout_s: float | None = 600.0
) -> str:
    """`snapshot_destroy_restore(name, table)` backs up the keyspace as `name`, really destroys `table` (DROP or
    TRUNCATE), restores it from the backup and returns the rows it reads back; they, and the table, must hold exactly
    the rows there were before.

    The check takes its own safety backup (`<name>-safety`) first: whatever the learner's function does (fails half
    way, restores nothing), the table holds its rows again afterwards, so later weeks still have it."""
    before = tables.read(table)
    expect(len(before), f"kappa.{table} is empty: run the stream cells above first, so there is something to back up")
    safety = safety_backup(name)
    files = _live_sstables(table)
    try:
        rows = learner.call(snapshot_destroy_restore, name, table, timeout_s=timeout_s)
    finally:
        recover(table, before, safety)
    # a DROP or TRUNCATE removes every SSTable the table had; a restore brings the rows back in new files (a restored
    # table even keeps its id, from the backup's schema.cql, so the files are what tells)
    kept = files & _live_sstables(table)
    expect(
        not kept,
        f"kappa.{table} was neither dropped nor truncated ({len(kept)} of its SSTables are still there): destroy it "
        "between the backup and the restore",
    )
    expect(rows is not None and len(rows), f"return the rows of kappa.{table} read back after the restore")
    diff = truth.compare_table(table, before, rows)
    expect(diff.ok, f"the rows you read back differ from before the backup: {diff.summary()}")
    return check_restore(name, {table: before})
