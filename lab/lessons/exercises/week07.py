"""Week 7 exercise checks: reading dashboards as code, a panel of your own, interpolating a panel query, an alert."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import yaml

from lab.lessons.exercises import expect, learner
from lab.observe import dashboard
from lab.pipeline import tables

DASHBOARD_HINT = "the dashboard's JSON, as a dict"


def _made_up_dashboard() -> dict:
    """A dashboard whose Cassandra panels the check knows: one inside a collapsed row, one titled like a metric, and
    a Prometheus panel whose title says Cassandra."""
    cql = {"type": "hadesarchitect-cassandra-datasource", "uid": "${DS_CASSANDRA}"}
    prom = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
    return {
        "title": "made up",
        "panels": [
            {"type": "timeseries", "title": "Cassandra write latency", "datasource": prom, "targets": [{"expr": "x"}]},
            {"type": "stat", "title": "Rows per second", "datasource": cql, "targets": [{"target": "SELECT 1"}]},
            {
                "type": "row",
                "title": "Tables",
                "collapsed": True,
                "panels": [
                    {"type": "table", "title": "Latest windows", "datasource": cql, "targets": [{"target": "SELECT 2"}]}
                ],
            },
            {"type": "timeseries", "title": "Kafka messages in", "datasource": prom, "targets": [{"expr": "y"}]},
        ],
    }


def _cassandra_titles(dash: dict) -> set[str]:

    return {p["title"] for p in dashboard.panels(dash) if dashboard.kind(p) == "cql"}


def _titles_problem(titles, dash: dict) -> str | None:
    if isinstance(titles, str) or not isinstance(titles, (list, tuple, set)):
        return f"return a list of panel titles, not {type(titles).__name__}"
    got, want = set(titles), _cassandra_titles(dash)
    if not got:
        return "the list is empty: a panel queries Cassandra when its datasource is the Cassandra plugin"
    if got == want:
        return None
    missing, extra = sorted(want - got), sorted(got - want)
    why = []
    if missing:
        why.append(f"missing {missing}")
        nested = {p["title"] for p in dash.get("panels", []) if p.get("type") == "row" for p in p.get("panels", [])}
        if set(missing) & nested:
            why.append("a collapsed row holds its panels inside it (lab.dashboard.panels flattens them)")
    if extra:
        why.append(f"not Cassandra panels: {extra} (judge by the datasource, not by the title)")
    return "; ".join(why)


def check_cassandra_panels(cassandra_panel_titles: Callable, dash: dict) -> str:
    """The learner's `cassandra_panel_titles(dash)` lists the panels that query Cassandra: on a made-up dashboard (a
    collapsed row, a Prometheus panel titled "Cassandra …"), then on `dash` (the pipeline dashboard)."""

    made = _made_up_dashboard()
    problem = _titles_problem(learner.call(cassandra_panel_titles, made, hint=DASHBOARD_HINT), made)
    expect(problem is None, f"on a made-up dashboard: {problem}")
    problem = _titles_problem(learner.call(cassandra_panel_titles, dash, hint=DASHBOARD_HINT), dash)
    expect(problem is None, f"on the dashboard {dash.get('title', '')!r}: {problem}")
    return f"{len(_cassandra_titles(dash))} Cassandra panel(s): {sorted(_cassandra_titles(dash))}"


INTERPOLATE_REFUSED = (
    "lab.observe.dashboard.Context",
    "lab.observe.dashboard.context",
    "lab.observe.dashboard.run_panel",
    "lab.observe.dashboard.run",
)


def _interpolated_problem(cql: str, want: str) -> str | None:
    """Why `cql` is not the plugin's query `want` (None: it is), naming the step that went wrong."""
    got = " ".join(cql.split())
    if got == " ".join(want.split()):
        return None
    left = re.findall(r"\$\{?\w+(?::\w+)?\}?", got)
    if left:
        return (
            f"{left[0]} is still in the query: Grafana substitutes every variable and macro before the plugin runs it"
        )
    if "1609459200000" not in got and "1609459200" in got:
        return "$__timeFrom and $__timeTo are epoch *milliseconds* in the Cassandra plugin, not seconds"
    if "1609459200000" not in got or "1609545600000" not in got:
        return (
            "the time range is 2021-01-01 00:00 to 2021-01-02 00:00 UTC: $__timeFrom and $__timeTo become those "
            "instants in epoch milliseconds"
        )
    if re.search(r"IN \(\s*Manhattan\s*\)|IN \(\s*2021-01-01\s*\)", got) or '"' in got:
        return "${var:singlequote} wraps each value in single quotes: IN ('…')"
    first = next((i for i, (a, b) in enumerate(zip(got, " ".join(want.split()))) if a != b), min(len(got), len(want)))
    return f"it differs from what the plugin sends from here on: {got[first : first + 40]!r}"


def check_interpolated(trips_cql: Callable | str) -> str:
    """The learner's `trips_cql()` is the CQL the plugin sends for "Trips per 5-minute window" with day 2021-01-01,
    borough Manhattan, Jan 1 2021 (UTC), substituted by hand (the lab's interpolation is refused)."""

    cql = trips_cql
    if callable(trips_cql):
        cql = learner.call(trips_cql, refuse=INTERPOLATE_REFUSED, hint="by hand, from the panel's target")
    dash = dashboard.load("trips")
    panel = next(p for p in dashboard.panels(dash) if p["title"] == "Trips per 5-minute window")
    ctx = dashboard.Context({"day": ["2021-01-01"], "borough": ["Manhattan"]}, 1609459200, 1609545600, step=60)
    want = ctx.interpolate(panel["targets"][0]["target"])
    expect(isinstance(cql, str) and cql.strip(), "give the final CQL as a string")
    problem = _interpolated_problem(cql, want)
    expect(problem is None, f"not what the plugin sends: {problem}")
    return "that is exactly what the Cassandra plugin runs"


# Synthetic series for check_silent_topic_rule (2 s apart, judged at 100 s): each case says what the rule must do.
_TRIPS = 'kafka_server_brokertopicmetrics_messagesinpersec_total{job="kafka",topic="taxi-trips"}'
_DLQ = 'kafka_server_brokertopicmetrics_messagesinpersec_total{job="kafka",topic="taxi-trips-dlq"}'
_ACTIVE = 'lab_spark_query_active{job="spark",query="trip_windows"}'
_CASES = [
    (
        "taxi-trips silent (its counter stays at 500) while the query runs, the DLQ busy",
        {_TRIPS: "500+0x60", _DLQ: "0+5x60", _ACTIVE: "1x60"},
        True,
    ),
    ("taxi-trips busy while the query runs", {_TRIPS: "0+20x60", _DLQ: "0+0x60", _ACTIVE: "1x60"}, False),
    ("taxi-trips silent, the query stopped", {_TRIPS: "500+0x60", _DLQ: "0+0x60", _ACTIVE: "0x60"}, False),
    (
        "trips arrived until 50 s, then 50 s of silence while the query runs",
        {_TRIPS: "0+20x25 500+0x35", _DLQ: "0+0x60", _ACTIVE: "1x60"},
        True,
    ),
]
_CAUSES = {
    0: "it must fire when no message reaches taxi-trips (its rate is 0: a counter that stays at 500 is silent too) "
    'while the query is active, whatever other topics do: filter topic="taxi-trips", and join the query\'s '
    "gauge without labels (and on () …)",
    1: "it fires while messages arrive: compare the rate (or increase) over the last 30 s with 0",
    2: "it fires while no query runs: add `and on () max(lab_spark_query_active) == 1`",
    3: "a topic silent for the last 50 s must fire: measure the rate over [30s]",
}


def _promtool_case(
    tool: str,
    tmp: Path,
    rules: Path,
    i: int,
    series: dict,
    fires: bool,
    alertname: str = "TripsTopicSilent",
    labels: dict | None = None,
) -> tuple[bool, str]:
    """One promtool unit test of rule `alertname` on synthetic `series` at 100 s: it fires (with `labels`) or not."""
    test = {
        "interval": "2s",
        "input_series": [{"series": s, "values": v} for s, v in series.items()],
        "alert_rule_test": [
            {"eval_time": "100s", "alertname": alertname, "exp_alerts": [{"exp_labels": labels or {}}] if fires else []}
        ],
    }
    path = tmp / f"test{i}.yml"
    path.write_text(yaml.safe_dump({"rule_files": [str(rules)], "evaluation_interval": "2s", "tests": [test]}))
    out = subprocess.run([tool, "test", "rules", str(path)], capture_output=True, text=True, timeout=60)
    return out.returncode == 0, out.stdout + out.stderr


def check_silent_topic_rule(trips_topic_silent: Callable | str) -> str:
    """The learner's alert expression (`trips_topic_silent()`), as rule TripsTopicSilent with `for: 10s`, fires exactly
    in the cases it should (promtool unit tests, one per case, so a ❌ names the case)."""

    tool = shutil.which("promtool")
    expect(tool is not None, "promtool is missing (Debian package prometheus)")
    expr = trips_topic_silent
    if callable(trips_topic_silent):
        expr = learner.call(trips_topic_silent, hint="PromQL")
    expect(isinstance(expr, str) and expr.strip(), "write the alert expression as a string")
    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp) / "rules.yml"
        rules.write_text(
            yaml.safe_dump(
                {"groups": [{"name": "exercise", "rules": [{"alert": "TripsTopicSilent", "expr": expr, "for": "10s"}]}]}
            )
        )
        check = subprocess.run([tool, "check", "rules", str(rules)], capture_output=True, text=True, timeout=60)
        said = [line.strip() for line in (check.stdout + check.stderr).splitlines() if line.strip()]
        expect(check.returncode == 0, "promtool cannot parse the expression: " + " ".join(said[-3:]))
        for i, (what, series, fires) in enumerate(_CASES):
            ok, _ = _promtool_case(tool, Path(tmp), rules, i, series, fires)
            expect(ok, f"{what}: it {'did not fire' if fires else 'fired'}; {_CAUSES[i]}")
    return "fires when taxi-trips is silent while the query runs, and only then"


PANEL_TYPES = ("timeseries", "stat", "barchart", "table")


def check_panel(
    fare_panel: Callable | dict, dash: str = "trips", table: str = "borough_windows", column: str = "fare_avg"
) -> str:
    """The learner's panel (`fare_panel()`, Grafana's JSON model as a dict) reads `column` per borough from
    kappa.`table` through the dashboard's datasource variable, names the partition key with the dashboard's variables,
    and renders with data: it runs in dashboard `dash`'s context (its variables and time range), its series are
    boroughs and every value it draws is a value of `column` (another column drawn is named)."""
    import numpy as np
    import pandas as pd

    panel = fare_panel
    if callable(fare_panel):
        panel = learner.call(fare_panel, hint="a dict in Grafana's JSON model")
    expect(isinstance(panel, dict) and panel, "return the panel as a dict (Grafana's JSON model)")
    expect(panel.get("type") in PANEL_TYPES, f"panel type {panel.get('type')!r}: one of {', '.join(PANEL_TYPES)}")
    expect(str(panel.get("title", "")).strip(), "give the panel a title")
    ds = panel.get("datasource")
    variable = '{"type": "' + dashboard.CASSANDRA_PLUGIN + '", "uid": "${DS_CASSANDRA}"}'
    expect(
        isinstance(ds, dict),
        f"the panel's datasource is a dict naming the Cassandra variable: {variable} (not {ds!r})",
    )
    expect(
        dashboard.kind(panel) == "cql" and ds.get("uid") == "${DS_CASSANDRA}",
        f"the panel's datasource must be the Cassandra variable: {variable}",
    )
    targets = panel.get("targets") or []
    expect(
        isinstance(targets, list) and all(isinstance(t, dict) for t in targets),
        "targets is a list of dicts: [{'refId': 'A', 'rawQuery': True, 'queryType': 'query', 'target': 'SELECT …'}]",
    )
    targets = [t for t in targets if not t.get("hide")]
    expect(targets, "add a target: {'refId': 'A', 'rawQuery': True, 'queryType': 'query', 'target': 'SELECT …'}")
    for t in targets:
        cql = t.get("target")
        expect(isinstance(cql, str) and cql.strip(), "each target holds its CQL in 'target'")
        expect("allow filtering" not in cql.lower(), "no ALLOW FILTERING: name the partition key with the variables")
        read = re.search(r"\bFROM\s+kappa\.(\w+)", cql, re.IGNORECASE)
        expect(
            read and read.group(1) == table,
            f"read kappa.{table} (FROM kappa.{table}), not {read.group(0) if read else 'another table'}",
        )
        unset = [v for v in ("borough", "day") if not re.search(r"\$\{?" + v + r"\b", cql)]
        expect(
            not unset,
            f"name the partition key with the dashboard's variables ({', '.join(unset)} fixed in the query): "
            "borough IN (${borough:singlequote}) AND day IN (${day:singlequote}), so the panel follows the selection",
        )
        if panel["type"] == "timeseries":
            expect(
                "$__timeFrom" in cql and "$__timeTo" in cql,
                "a time series follows the time picker: window_start >= $__timeFrom AND window_start <= $__timeTo",
            )
    result = dashboard.run_panel(panel, dashboard.context(dashboard.load(dash)))
    expect(not result.error, f"the panel does not render: {result.error} (query: {result.queries})")
    expect(not result.empty, f"the panel renders no data: {result.queries} (are the tables filled?)")
    rows = tables.read(table)
    expect(len(rows), f"kappa.{table} is empty")
    if "series" in result.data:
        boroughs = set(rows["borough"].astype(str))
        odd = sorted({str(s) for s in result.data["series"]} - boroughs)
        expect(
            not odd,
            f"series {odd[:2]} are not boroughs: the plugin names each series by the first column, so select "
            f"borough first (SELECT borough, {column}, window_start …)",
        )
    drawn = pd.to_numeric(result.data["value"] if "value" in result.data else pd.Series(dtype=float), "coerce").dropna()
    expect(len(drawn), f"the panel draws no numbers: select {column}")

    def stray_of(values) -> pd.Series:
        have = np.sort(pd.to_numeric(values, "coerce").dropna().to_numpy(dtype=float))
        if not len(have):
            return drawn
        idx = np.clip(np.searchsorted(have, drawn.to_numpy()), 1, max(len(have) - 1, 1))
        nearest = np.minimum(abs(have[idx] - drawn), abs(have[idx - 1] - drawn))
        return drawn[nearest > 1e-9 * np.maximum(1.0, abs(drawn))]

    stray = stray_of(rows[column]) if column in rows else drawn
    if len(stray):
        numeric = set(rows.select_dtypes("number").columns) - {column}
        selected = [
            c.strip().lower()
            for t in targets
            for m in [re.search(r"select\s+(.*?)\s+from\s", t["target"], re.IGNORECASE | re.DOTALL)]
            if m
            for c in m.group(1).split(",")
        ]
        other = [c for c in selected if c in numeric] or [c for c in sorted(numeric) if stray_of(rows[c]).empty]
        expect(
            False,
            f"{len(stray)} drawn values are not {column} values of kappa.{table}, e.g. {stray.head(3).tolist()}"
            + (f": they are {', '.join(other)} (select {column})" if other else ""),
        )
    return f"{panel['title']!r} renders {len(result.data)} points of {column} from kappa.{table}"
