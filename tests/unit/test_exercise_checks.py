"""The exercise checks refuse weak answers (no stack: the services they ask are replaced by fakes)."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from lab.errors import CheckFailed, ManifestError
from lab.lessons import kraft, mismatch
from lab.lessons.exercises import week01, week05, week06, week07, week08

ORDERED = [kraft.Delivered("zone-42", f"step {i}", 0, i) for i in range(20)]


def test_same_partition_refuses_a_single_delivery(monkeypatch):
    """Fails when `deliveries[:1]` (one message of the 20) passes, as it did before the count and topic were checked."""
    monkeypatch.setattr(week01.topics, "partition_counts", lambda topic: {0: 20, 1: 0, 2: 0})
    assert "all 20 messages" in week01.check_same_partition(ORDERED, "t", 20)
    with pytest.raises(CheckFailed, match="1 delivery reports"):
        week01.check_same_partition(ORDERED[:1], "t", 20)


def test_same_partition_refuses_another_topic(monkeypatch):
    """Fails when deliveries into some other topic pass for the exercise's topic."""
    monkeypatch.setattr(week01.topics, "partition_counts", lambda topic: {0: 0, 1: 0, 2: 0})
    with pytest.raises(CheckFailed, match="holds nothing"):
        week01.check_same_partition(ORDERED, "t", 20)


class _Result(list):
    def __init__(self, rows, events):
        super().__init__(rows)
        self.events = events

    def get_query_trace(self, max_wait_sec=None):
        return SimpleNamespace(events=[SimpleNamespace(description=e) for e in self.events])


class _Session:
    def __init__(self, events):
        self.events, self.executed = events, []

    def execute(self, cql, params, trace=False):
        self.executed.append((cql, params, trace))
        Row = type("Row", (), {"_asdict": lambda self: dict(self.__dict__)})
        rows = []
        for start, trips in (("2021-01-05 10:05", 3), ("2021-01-05 10:00", 2)):
            r = Row()
            r.window_start, r.trips = pd.Timestamp(start), trips
            rows.append(r)
        return _Result(rows, self.events)


EXPECTED = pd.DataFrame(
    {
        "zone_id": [7, 7, 8],
        "trips": [2, 3, 9],
        "window_start": pd.to_datetime(["2021-01-05 10:00", "2021-01-05 10:05", "2021-01-05 10:00"]),
    }
)
SINGLE = ["Parsing SELECT …", "Executing single-partition query on zone_windows", "Read 2 live rows"]


def test_zone_day_refuses_a_scan():
    """Fails when a query that scans (right rows, wrong access path) passes: the trace must say single-partition."""
    good = week05.check_zone_day(
        "SELECT window_start, trips FROM kappa.zone_windows WHERE zone_id = %s AND day = %s",
        (7, "2021-01-05"),
        EXPECTED,
        7,
        "2021-01-05",
        session=_Session(SINGLE),
    )
    assert "one partition" in good
    scan = ["Computing ranges to query", "Executing seq scan across 3 sstables for (min(-9223372036854775808), max)"]
    with pytest.raises(CheckFailed, match="did not read one partition"):
        week05.check_zone_day(
            "SELECT window_start, trips FROM kappa.zone_windows WHERE zone_id = %s",
            (7,),
            EXPECTED,
            7,
            "2021-01-05",
            session=_Session(scan),
        )
    with pytest.raises(CheckFailed, match="ALLOW FILTERING"):
        week05.check_zone_day(
            "SELECT * FROM kappa.zone_windows WHERE window_start > %s ALLOW FILTERING",
            ("x",),
            EXPECTED,
            7,
            "2021-01-05",
            session=_Session(SINGLE),
        )


def test_promql_compares_at_an_instant_with_traffic(monkeypatch):
    """Fails when `vector(0)` passes: after the traffic stops both it and the reference are 0 at 'now'."""
    ref = week06.REFERENCE["dlq_rate"]
    monkeypatch.setattr(week06, "_range", lambda expr, start, end, step=5: {100.0: 0.0, 105.0: 4.0, 110.0: 0.0})
    monkeypatch.setattr(week06, "_value", lambda expr, at: 4.0 if (expr == ref and at == 105.0) else 0.0)
    with pytest.raises(CheckFailed, match="expected 4"):
        week06.check_promql("vector(0)", "dlq_rate")
    assert "= 4" in week06.check_promql(ref, "dlq_rate")


def test_promql_without_traffic_is_not_passed(monkeypatch):
    """Fails when a check passes although the reference never saw traffic (nothing to compare with)."""
    monkeypatch.setattr(week06, "_range", lambda expr, start, end, step=5: {100.0: 0.0, 105.0: 0.0})
    with pytest.raises(CheckFailed, match="no traffic"):
        week06.check_promql("vector(0)", "dlq_rate")


def test_typo_check_says_not_yet_without_crds(monkeypatch):
    """Fails when a machine without Strimzi's CRDs gets a ManifestError traceback instead of a check message."""

    def missing():
        raise ManifestError("no Strimzi CRDs in /nowhere")

    monkeypatch.setattr(week08.manifests, "crd_schemas", missing)
    with pytest.raises(CheckFailed, match="CRD"):
        week08.check_typo(".spec.kafka.confg")


_CQL = {"type": "hadesarchitect-cassandra-datasource", "uid": "${DS_CASSANDRA}"}
_FARE_PANEL = {
    "type": "timeseries",
    "title": "Average fare per window",
    "datasource": _CQL,
    "targets": [
        {
            "refId": "A",
            "rawQuery": True,
            "queryType": "query",
            "target": "SELECT borough, fare_avg, window_start FROM kappa.borough_windows WHERE borough IN "
            "(${borough:singlequote}) AND day IN (${day:singlequote}) AND window_start >= $__timeFrom "
            "AND window_start <= $__timeTo",
        }
    ],
}


def _rendered(monkeypatch, values, table_values, error=""):
    """Fake the render (dashboard.run_panel) and the table read, so check_panel runs without Cassandra."""
    from lab.observe import dashboard
    from lab.pipeline import tables

    data = pd.DataFrame({"time": pd.Timestamp("2021-01-01"), "series": "Manhattan", "value": values})
    monkeypatch.setattr(dashboard, "context", lambda dash: None)
    monkeypatch.setattr(
        dashboard, "run_panel", lambda panel, ctx: dashboard.PanelResult(panel, None if error else data, error, ["q"])
    )
    monkeypatch.setattr(
        tables, "read", lambda table: pd.DataFrame({"fare_avg": table_values, "trips": 7, "borough": "Manhattan"})
    )


@pytest.mark.parametrize(
    ("panel", "match"),
    [
        ({}, "as a dict"),
        ({**_FARE_PANEL, "type": "graph"}, "panel type"),
        ({**_FARE_PANEL, "datasource": {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}}, "Cassandra variable"),
        ({**_FARE_PANEL, "targets": []}, "add a target"),
        (
            {**_FARE_PANEL, "targets": [{"refId": "A", "target": "SELECT * FROM kappa.quarantine"}]},
            "read kappa.borough_windows",
        ),
        ({**_FARE_PANEL, "datasource": "Cassandra"}, "is a dict"),
        ({**_FARE_PANEL, "targets": ["SELECT borough, fare_avg FROM kappa.borough_windows"]}, "list of dicts"),
        (
            {
                **_FARE_PANEL,
                "targets": [
                    {"target": _FARE_PANEL["targets"][0]["target"].replace("${borough:singlequote}", "'Bronx'")}
                ],
            },
            "follows the selection",
        ),
        (
            {**_FARE_PANEL, "targets": [{"target": _FARE_PANEL["targets"][0]["target"] + " ALLOW FILTERING"}]},
            "ALLOW FILTERING",
        ),
        (
            {
                **_FARE_PANEL,
                "targets": [
                    {
                        "target": "SELECT borough, fare_avg, window_start FROM kappa.borough_windows "
                        "WHERE borough IN (${borough:singlequote}) AND day IN (${day:singlequote})"
                    }
                ],
            },
            "time picker",
        ),
    ],
)
def test_panel_check_refuses_empty_and_wrong_panels(panel, match):
    """Fails when an empty panel, a PromQL panel or a query that cannot be a Grafana Cassandra panel passes."""
    with pytest.raises(CheckFailed, match=match):
        week07.check_panel(panel)


def test_panel_check_renders_the_panel_with_data(monkeypatch):
    """Fails when a panel that does not render, renders nothing, or draws values the table does not hold passes."""
    _rendered(monkeypatch, [10.5, 12.25], [10.5, 12.25, 9.0])
    assert "renders 2 points" in week07.check_panel(_FARE_PANEL)
    _rendered(monkeypatch, [], [10.5])
    with pytest.raises(CheckFailed, match="no data"):
        week07.check_panel(_FARE_PANEL)
    _rendered(monkeypatch, [10.5], [10.5], error="InvalidRequest: Undefined column name fare")
    with pytest.raises(CheckFailed, match="does not render"):
        week07.check_panel(_FARE_PANEL)
    _rendered(monkeypatch, [10.5, 99.0], [10.5, 12.25])
    with pytest.raises(CheckFailed, match="not fare_avg values"):
        week07.check_panel(_FARE_PANEL)
    _rendered(monkeypatch, [7.0], [10.5, 12.25])
    with pytest.raises(CheckFailed, match="they are trips"):
        week07.check_panel(_FARE_PANEL)


def test_reprocess_v2_refuses_an_empty_answer(monkeypatch):
    """Fails when a job that writes nothing to zone_windows_v2 passes (the table and the truth are never compared)."""
    from lab.lessons.exercises import week09
    from lab.pipeline import tables

    monkeypatch.setattr(tables, "read", lambda table, session=None: pd.DataFrame())
    trips = pd.DataFrame({"pickup_ts": pd.to_datetime(["2021-01-05 10:01"]), "pu_location_id": [7]})
    with pytest.raises(CheckFailed, match="nothing was written to kappa.zone_windows_v2"):
        week09.check_reprocess_v2(lambda spark, topic, schema, table: None, None, "t", "{}", trips, pd.Timestamp(0))


def test_archived_counts_refuse_an_empty_or_wrong_answer(monkeypatch):
    from lab.lessons.exercises import week09
    from lab.pipeline import topics

    monkeypatch.setattr(topics, "partition_counts", lambda topic: {0: 3, 1: 0, 2: 5})
    with pytest.raises(CheckFailed, match="return a dict"):
        week09.check_archived_counts({}, "t")
    with pytest.raises(CheckFailed, match="per partition"):
        week09.check_archived_counts({0: 3, 2: 4}, "t")
    with pytest.raises(CheckFailed, match="not partitions"):
        week09.check_archived_counts({0: 3, 2: 5, 7: 1}, "t")
    assert "8 records" in week09.check_archived_counts({0: 3, 2: 5}, "t")


def test_highest_holding_refuses_a_constant_answer():
    from lab.lessons.exercises import week09

    steps = pd.DataFrame({"target": [500, 1000], "rate": [500, 990], "p95_s": [5.0, 6.0]})  # nothing holds: None
    with pytest.raises(CheckFailed, match="expected 2000"):
        week09.check_highest_holding(lambda s: None, steps)
    with pytest.raises(CheckFailed, match="measured ramp"):
        week09.check_highest_holding(lambda s: 2000, steps)


def _highest_written_out(steps, p95_target_s=4.0):
    best = None
    for step in steps.sort_values("target").itertuples():
        if not (step.p95_s <= p95_target_s and step.rate >= 0.9 * step.target):
            break
        best = int(step.target)
    return best


def test_highest_holding_accepts_the_rule():
    from lab.lessons.exercises import week09

    steps = pd.DataFrame({"target": [500, 1000], "rate": [500, 990], "p95_s": [1.0, 1.5]})
    assert "1000" in week09.check_highest_holding(_highest_written_out, steps)


def test_highest_holding_refuses_the_labs_rule():
    """Fails when calling lab.loadtest.highest_holding (the check's own truth) passes for the learner's rule."""
    from lab.lessons import loadtest
    from lab.lessons.exercises import week09

    steps = pd.DataFrame({"target": [500, 1000], "rate": [500, 990], "p95_s": [1.0, 1.5]})
    with pytest.raises(CheckFailed, match="lab's own implementation"):
        week09.check_highest_holding(lambda s: loadtest.highest_holding(s.to_dict("records")), steps)


MISMATCH = {
    "undecodable": {"records": 3, "frame_id": 1, "body_id": 3, "subjects": ["t"]},
    "unknown_schema_id": {
        "records": 2,
        "frame_id": 424242,
        "body_id": 1,
        "subjects": ["lab-stream-reader-value", "t-value"],
    },
}


@pytest.mark.parametrize(
    "answer, match",
    [
        ({}, "returned nothing"),
        (None, "returned nothing"),
        ({"undecodable": MISMATCH["undecodable"]}, "the reasons are"),
        ({**MISMATCH, "undecodable": {**MISMATCH["undecodable"], "body_id": 1}}, "undecodable: body_id = 1"),
        ({**MISMATCH, "unknown_schema_id": {**MISMATCH["unknown_schema_id"], "frame_id": 1}}, "frame_id = 1"),
        ({**MISMATCH, "undecodable": {**MISMATCH["undecodable"], "subjects": ["t-value"]}}, "subjects"),
    ],
)
def test_diagnosis_refuses_empty_and_wrong_answers(answer, match):
    """Fails when an empty diagnosis, a missing reason, or the frame's id given for the body's passes."""
    assert "framed with id 424242" in week05.check_diagnosis(MISMATCH, MISMATCH)
    with pytest.raises(CheckFailed, match=match):
        week05.check_diagnosis(answer, MISMATCH)


def _scene(monkeypatch, after_fix_quarantine: pd.DataFrame, windows: pd.DataFrame, produced: int = 2):
    """A broken scene of 2 trips, all quarantined; the fix moves the end offset by `produced`."""
    trips = pd.DataFrame(
        {
            "pickup_ts": pd.to_datetime(["2025-01-01 00:01", "2025-01-01 00:02"]),
            "pu_location_id": [7, 7],
            "passenger_count": [1, 1],
            "fare_amount": [10.0, 10.0],
            "tip_amount": [1.0, 1.0],
            "trip_distance": [1.0, 1.0],
            "total_amount": [12.0, 12.0],
        }
    )
    broken = mismatch.Broken("t", trips, {0: 2})
    offsets = iter([{0: 2}, {0: 2 + produced}])
    before = pd.DataFrame({"kafka_partition": [0, 0], "kafka_offset": [0, 1], "reason": "undecodable", "detail": "x"})
    calls = iter([before, pd.concat([before, after_fix_quarantine])])  # the job's rows before and after the fix
    monkeypatch.setattr(week05, "_pristine", lambda b: True)
    monkeypatch.setattr(week05, "quarantined", lambda topic: next(calls))
    monkeypatch.setattr(week05, "expected_diagnosis", lambda b, rows: MISMATCH)
    monkeypatch.setattr(week05, "run_job", lambda topic: 2)
    monkeypatch.setattr(week05, "window_rows", lambda trips: windows)
    from lab.pipeline import data, topics

    monkeypatch.setattr(topics, "end_offsets", lambda topic: next(offsets))
    monkeypatch.setattr(
        data, "zones", lambda base_url=None: pd.DataFrame({"LocationID": [7], "Borough": ["B"], "Zone": ["Z"]})
    )
    return broken


def test_mismatch_refuses_a_fix_the_stream_does_not_count(monkeypatch):
    """Fails when a right diagnosis with a fix whose trips reach no window (or are quarantined again) passes."""
    none = pd.DataFrame(columns=["kafka_partition", "kafka_offset", "reason", "detail"])
    broken = _scene(monkeypatch, none, pd.DataFrame())
    with pytest.raises(CheckFailed, match="count 0 trips, 2 were sent"):
        week05.check_mismatch(lambda topic: MISMATCH, lambda topic, trips: None, broken)
    again = pd.DataFrame({"kafka_partition": [0, 0], "kafka_offset": [2, 3], "reason": "undecodable", "detail": "x"})
    broken = _scene(monkeypatch, again, pd.DataFrame())
    with pytest.raises(CheckFailed, match="2 of the 2 records your fix sent were quarantined"):
        week05.check_mismatch(lambda topic: MISMATCH, lambda topic, trips: None, broken)
    broken = _scene(monkeypatch, none, pd.DataFrame(), produced=0)
    with pytest.raises(CheckFailed, match="sent nothing"):
        week05.check_mismatch(lambda topic: MISMATCH, lambda topic, trips: None, broken)


def test_mismatch_refuses_an_empty_diagnosis_before_any_fix(monkeypatch):
    """Fails when an empty diagnosis passes because the fix alone made the windows right."""
    fixed = []
    broken = _scene(monkeypatch, pd.DataFrame(), pd.DataFrame())
    with pytest.raises(CheckFailed, match="returned nothing"):
        week05.check_mismatch(lambda topic: {}, lambda topic, trips: fixed.append(topic), broken)
    assert not fixed, "the fix must not run before the diagnosis is right"


def test_late_scenario_gives_each_fate_by_event_time():
    """Fails when the hand-made trips stop exercising the watermark: each fate (counted, late but kept, dropped) must
    occur, and a right query's windows after each run follow from the pickups alone."""
    from lab.lessons.exercises import week04

    trips = week04.late_scenario("5 minutes", "10 minutes")
    assert {t.fate for t in trips} == {"counted", "late, kept", "dropped"}
    after = week04.scenario_windows(trips, "5 minutes")
    assert dict(zip(after["window_start"].dt.strftime("%H:%M"), after["trips"])) == {
        "12:00": 2,
        "12:05": 1,
        "12:20": 1,
        "12:30": 2,
    }
    assert len(week04.scenario_windows(trips, "5 minutes", runs=1)) == 3


def _got(counts: dict[str, int]) -> pd.DataFrame:
    from lab.lessons.exercises import week04

    starts = [pd.Timestamp(f"2021-01-01 {k}") if ":" in k and len(k) == 5 else pd.Timestamp(k) for k in counts]
    return pd.DataFrame({"zone_id": week04.ZONE, "window_start": starts, "trips": list(counts.values())})


@pytest.mark.parametrize(
    ("got", "plan", "words"),
    [
        ({"12:00": 2, "12:05": 1, "12:20": 1, "12:30": 2}, None, None),
        ({"2026-12-06 14:20": 8}, {"windows": set(), "watermarks": []}, "processing time"),
        ({"12:00": 3, "12:20": 1, "12:30": 2}, {"windows": {("pickup_ts", "10min")}}, "10 minutes long"),
        ({"12:10": 2, "12:15": 1}, {"windows": {("dropoff_ts", "5min")}}, "windows are of dropoff_ts"),
        ({"12:00": 4, "12:05": 2, "12:20": 1, "12:30": 2}, {"watermarks": []}, "no watermark"),
        (
            {"12:00": 4, "12:05": 2, "12:20": 1, "12:30": 2},
            {"watermarks": [("dropoff_ts", "10 minutes")]},
            "on dropoff_ts",
        ),
        ({"12:00": 2, "12:05": 1, "12:30": 2}, {"watermarks": [("pickup_ts", "5 minutes")]}, "waits 5 minutes"),
    ],
)
def test_lateness_problem_names_the_cause(got, plan, words):
    """Fails when a wrong streaming query's windows over the hand-made trips pass, or the ❌ names another cause."""
    from lab.lessons.exercises import week04

    facts = {"windows": {("pickup_ts", pd.Timedelta("5min"))}, "watermarks": [("pickup_ts", "10 minutes")]}
    for key, value in (plan or {}).items():
        facts[key] = {(c, pd.Timedelta(d)) for c, d in value} if key == "windows" else value
    trips = week04.late_scenario("5 minutes", "10 minutes")
    problem = week04.lateness_problem(_got(got), facts, trips, "5 minutes", "10 minutes")
    if words is None:
        assert problem is None
    else:
        assert problem and words in problem, problem


def test_lag_on_made_up_offsets_replaces_each_selector():
    """Fails when an answer's metric selectors are not all replaced by the made-up series (it would then be judged on
    whatever the stack holds)."""
    from lab.lessons.exercises import week06

    expr = week06.on_made_up_offsets(week06.reference("total_lag", "t"), "t")
    assert "kafka_log_log_logendoffset" not in expr and "lab_spark_source_end_offset" not in expr
    assert expr.count('"replay"') == len(week06.LAG_SPARK["replay"])


def test_capstone_truth_and_compare_name_what_differs():
    """Fails when the capstone's pandas truth miscounts hand-made trips, or a table with a wrong or missing window
    passes its comparison."""
    from lab.lessons.exercises import capstone

    trips = pd.DataFrame(
        {
            "pu_location_id": [161, 161, 161, 237],
            "pickup_ts": pd.to_datetime(
                ["2021-01-01 12:01:00", "2021-01-01 12:04:59", "2021-01-01 12:05:00", "2021-01-01 12:02:00"]
            ),
            "dropoff_ts": pd.to_datetime(
                ["2021-01-01 12:11", "2021-01-01 12:06", "2021-01-01 12:35", "2021-01-01 12:03"]
            ),
        }
    )
    truth = capstone._truth(trips).set_index(["zone_id", "window_start"])
    assert truth.loc[(161, pd.Timestamp("2021-01-01 12:00")), ["trips", "duration_total_s"]].tolist() == [2, 661]
    assert truth.loc[(161, pd.Timestamp("2021-01-01 12:05")), "duration_avg_s"] == 1800.0
    assert len(truth) == 3
    table = capstone._truth(trips)
    assert capstone._compare(table, capstone._truth(trips)) == []
    wrong = table.assign(trips=table["trips"].where(table["zone_id"] != 237, 9))
    assert "trips differs in 1 windows" in capstone._compare(wrong, capstone._truth(trips))[0]
    assert "1 windows missing" in capstone._compare(table.iloc[:2], capstone._truth(trips))[0]


def test_capstone_rubric_counts_only_passed_criteria(capsys):
    """Fails when the acceptance suite accepts with a criterion failed or not given, or hides a row."""
    from lab.lessons.exercises import Graded, capstone

    ok = Graded(True, "✅ fine")
    every = {name: ok for name, _, _ in capstone.RUBRIC}
    assert capstone.accept(**every)
    assert not capstone.accept(**{**every, "ddl": Graded(False, "❌ Not yet: duplicates")})
    assert not capstone.accept(**{k: v for k, v in every.items() if k != "alert"})
    out = capsys.readouterr().out
    n = len(capstone.RUBRIC)
    assert f"{n - 1} of {n} criteria met" in out and "duplicates" in out and "not solved yet" in out
