"""Week 7 exercise checks: reading dashboards as code, a panel of your own, interpolating a panel query, an alert."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import yaml

from lab.lessons.exercises import expect


def check_cassandra_panels(titles) -> str:
    """`titles` are exactly the panels of the pipeline dashboard that query Cassandra."""
    from lab.observe import dashboard

    want = {p["title"] for p in dashboard.panels(dashboard.load("pipeline")) if dashboard.kind(p) == "cql"}
    got = set(titles or [])
    expect(got, "list the panel titles")
    expect(got == want, f"missing {sorted(want - got)}, not Cassandra panels: {sorted(got - want)}")
    return f"{len(want)} Cassandra panel(s): {sorted(want)}"


def check_interpolated(cql: str) -> str:
    """The CQL Grafana sends for "Trips per 5-minute window" with day 2021-01-01, borough Manhattan, Jan 1 2021 (UTC)."""
    from lab.observe import dashboard

    dash = dashboard.load("trips")
    panel = next(p for p in dashboard.panels(dash) if p["title"] == "Trips per 5-minute window")
    ctx = dashboard.Context({"day": ["2021-01-01"], "borough": ["Manhattan"]}, 1609459200, 1609545600, step=60)
    want = ctx.interpolate(panel["targets"][0]["target"])
    expect(isinstance(cql, str) and cql.strip(), "give the final CQL as a string")
    expect(" ".join(cql.split()) == " ".join(want.split()), f"expected:\n{want}\ngot:\n{cql}")
    return "that is exactly what the Cassandra plugin runs"


# Synthetic series for check_silent_topic_rule: the topic is silent while the query runs (fires),
# trips arrive (no alert), the query is stopped (no alert: PipelineStalled's job, not this one's).
_CASES = [
    ("0+0x60", "1x60", True),
    ("0+20x60", "1x60", False),
    ("0+0x60", "0x60", False),
]


def check_silent_topic_rule(expr: str) -> str:
    """An alert `TripsTopicSilent` with `expr` and `for: 10s` fires exactly in the cases it should (promtool unit test)."""
    tool = shutil.which("promtool")
    expect(tool is not None, "promtool is missing (Debian package prometheus)")
    expect(isinstance(expr, str) and expr.strip(), "write the alert expression as a string")
    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp) / "rules.yml"
        rules.write_text(
            yaml.safe_dump(
                {"groups": [{"name": "exercise", "rules": [{"alert": "TripsTopicSilent", "expr": expr, "for": "10s"}]}]}
            )
        )
        tests = []
        for trips, active, fires in _CASES:
            tests.append(
                {
                    "interval": "2s",
                    "input_series": [
                        {
                            "series": 'kafka_server_brokertopicmetrics_messagesinpersec_total{job="kafka",topic="taxi-trips"}',
                            "values": trips,
                        },
                        {"series": 'lab_spark_query_active{job="spark",query="trip_windows"}', "values": active},
                    ],
                    "alert_rule_test": [
                        {
                            "eval_time": "100s",
                            "alertname": "TripsTopicSilent",
                            "exp_alerts": [{"exp_labels": {}}] if fires else [],
                        }
                    ],
                }
            )
        test = Path(tmp) / "test.yml"
        test.write_text(yaml.safe_dump({"rule_files": [str(rules)], "evaluation_interval": "2s", "tests": tests}))
        out = subprocess.run([tool, "test", "rules", str(test)], capture_output=True, text=True, timeout=60)
    expect(out.returncode == 0, "promtool says:\n" + "\n".join((out.stdout + out.stderr).splitlines()[-15:]))
    return "fires when taxi-trips is silent while the query runs, and only then"


PANEL_TYPES = ("timeseries", "stat", "barchart", "table")


def check_panel(panel: dict, dash: str = "trips") -> str:
    """`panel` is a Grafana panel (JSON model as a dict) that queries one of the window tables in Cassandra through
    the dashboard's datasource variable, and renders with data: the panel runs in dashboard `dash`'s context (its
    variables and time range), and every value it draws is a value of that table."""
    import numpy as np
    import pandas as pd

    from lab.observe import dashboard
    from lab.pipeline import tables

    expect(isinstance(panel, dict) and panel, "return the panel as a dict (Grafana's JSON model)")
    expect(panel.get("type") in PANEL_TYPES, f"panel type {panel.get('type')!r}: one of {', '.join(PANEL_TYPES)}")
    expect(str(panel.get("title", "")).strip(), "give the panel a title")
    ds = panel.get("datasource") or {}
    expect(
        dashboard.kind(panel) == "cql" and ds.get("uid") == "${DS_CASSANDRA}",
        'the panel\'s datasource must be the Cassandra variable: {"type": "'
        + dashboard.CASSANDRA_PLUGIN
        + '", "uid": "${DS_CASSANDRA}"}',
    )
    targets = [t for t in panel.get("targets") or [] if not t.get("hide")]
    expect(targets, "add a target: {'refId': 'A', 'rawQuery': True, 'queryType': 'query', 'target': 'SELECT …'}")
    read = set()
    for t in targets:
        cql = t.get("target")
        expect(isinstance(cql, str) and cql.strip(), "each target holds its CQL in 'target'")
        expect("allow filtering" not in cql.lower(), "no ALLOW FILTERING: name the partition key with the variables")
        table = re.search(r"\bFROM\s+kappa\.(\w+)", cql, re.IGNORECASE)
        expect(
            table and table.group(1) in tables.WINDOW_TABLES,
            f"read one of kappa.{', kappa.'.join(tables.WINDOW_TABLES)} (FROM kappa.<table>)",
        )
        read.add(table.group(1))
        if panel["type"] == "timeseries":
            expect(
                "$__timeFrom" in cql and "$__timeTo" in cql,
                "a time series follows the time picker: window_start >= $__timeFrom AND window_start <= $__timeTo",
            )
    result = dashboard.run_panel(panel, dashboard.context(dashboard.load(dash)))
    expect(not result.error, f"the panel does not render: {result.error} (query: {result.queries})")
    expect(not result.empty, f"the panel renders no data: {result.queries} (are the tables filled?)")
    drawn = pd.to_numeric(result.data["value"] if "value" in result.data else pd.Series(dtype=float), "coerce")
    if len(drawn.dropna()):
        have = np.sort(
            np.concatenate([tables.read(t).select_dtypes("number").to_numpy(dtype=float).ravel() for t in sorted(read)])
        )
        expect(len(have), f"kappa.{', kappa.'.join(sorted(read))} is empty")
        idx = np.clip(np.searchsorted(have, drawn.dropna().to_numpy()), 1, len(have) - 1)
        nearest = np.minimum(abs(have[idx] - drawn.dropna()), abs(have[idx - 1] - drawn.dropna()))
        stray = drawn.dropna()[nearest > 1e-9 * np.maximum(1.0, abs(drawn.dropna()))]
        expect(stray.empty, f"{len(stray)} drawn values are not in the table, e.g. {stray.head(3).tolist()}")
    return f"{panel['title']!r} renders {len(result.data)} points from kappa.{', kappa.'.join(sorted(read))}"
