"""Week 7 exercise checks: reading dashboards as code, interpolating a panel query, writing an alert expression."""

from __future__ import annotations

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
