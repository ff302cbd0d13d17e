"""Week 6 exercise checks: PromQL for rates and lag, and where a restarted query resumes."""
from __future__ import annotations

import time

from lab.errors import CheckFailed
from lab.lessons.exercises import expect

REFERENCE = {
    "dlq_rate": 'sum(rate(kafka_server_brokertopicmetrics_messagesinpersec_total{topic="taxi-trips-dlq"}[1m]))',
    # the recording rule's definition, evaluated raw: the recorded series lags by up to one rule evaluation,
    # so comparing a raw answer with it at the same instant would race
    "total_lag": ('sum(max by (topic, partition) (kafka_log_log_logendoffset{topic="taxi-trips"}) - on (topic, partition) '
                  'max by (topic, partition) (lab_spark_source_end_offset{topic="taxi-trips"}))'),
    "write_p99_ms": 'max(cassandra_clientrequest_latency_seconds{operation="Write",quantile="0.99"}) * 1000',
}


def _value(expr: str, at: float) -> float | None:
    from lab.errors import LabError
    from lab.observe import promql

    try:
        return promql.value(expr, at)
    except LabError as exc:   # a rejected expression or several series: say what is wrong
        raise CheckFailed(str(exc)) from None


def check_promql(expr: str, exercise: str) -> str:
    """`expr` returns the same single number as the reference answer of `exercise`, evaluated at the same instant."""
    expect(isinstance(expr, str) and expr.strip(), "write your PromQL expression as a string")
    expect(exercise in REFERENCE, f"unknown exercise {exercise!r}: one of {', '.join(REFERENCE)}")
    at = time.time() - 1
    yours, ref = _value(expr, at), _value(REFERENCE[exercise], at)
    expect(ref is not None, "the reference has no data yet: run the pipeline cells above first")
    expect(yours is not None, "your query returns no data (check metric names and label values)")
    expect(abs(yours - ref) <= 1e-6 * max(1.0, abs(ref)), f"your query gives {yours:g}, expected {ref:g}")
    return f"{expr} = {yours:g}"


def check_resumed(before: dict, resumed: dict) -> str:
    """The restarted query started exactly at the offsets the stopped one had reached (per partition)."""
    expect(before and resumed, "both dicts must hold partition → offset (run the stop / restart cells first)")
    expect({str(k) for k in before} == {str(k) for k in resumed}, f"partitions differ: {sorted(before)} vs {sorted(resumed)}")
    diff = {p: (before[p], resumed[str(p)]) for p in before if int(before[p]) != int(resumed[str(p)])}
    expect(not diff, f"offsets differ (before, resumed): {diff}")
    return f"resumed at exactly {dict(sorted(resumed.items()))}: no message skipped, none read twice"
