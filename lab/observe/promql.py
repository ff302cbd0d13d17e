"""PromQL from Python: instant and range queries against the lab's Prometheus, as pandas DataFrames."""

from __future__ import annotations

import json
import re
import time

from lab.errors import LabError
from lab.services import prometheus


def url() -> str:
    """The Prometheus HTTP root of the selected target."""
    return prometheus.prometheus_url()


def scrape_interval() -> float:
    """Prometheus's global scrape interval in seconds (Grafana's $__rate_interval is at least 4x it); 5 s if unknown."""
    import yaml

    try:
        return prometheus.seconds(
            yaml.safe_load(prometheus.api("status/config", timeout=5)["yaml"])["global"]["scrape_interval"]
        )
    except Exception:  # noqa: BLE001 - only the $__rate_interval default depends on it
        return 5.0


def value(expr: str, at: float | None = None) -> float | None:
    """The single number an instant query gives (now, or at epoch `at`); None when it returns no series.

    LabError when the expression returns more than one series (aggregate them: sum, max …)."""
    result = prometheus.query(expr, at=at)
    if len(result) > 1:
        raise LabError(f"{expr!r} returns {len(result)} series; aggregate them into one (sum, max …)")
    return float(result[0]["value"][1]) if result else None


def legend(fmt: str, labels: dict) -> str:
    """Grafana's legend template: "{{topic}}" → the value of label topic."""
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: str(labels.get(m.group(1), "")), fmt) if fmt else ""


def frame(expr: str, legend_fmt: str, start: float, end: float, step: float, instant: bool = False):
    """Long DataFrame (time, series, value) of a range (or instant) query; `series` is the legend."""
    import pandas as pd

    if instant:
        result = prometheus.query(expr, timeout=30, at=end)
    else:
        result = prometheus.api("query_range", query=expr, start=start, end=end, step=step)["result"]
    rows = []
    for s in result:
        name = legend(legend_fmt, s["metric"]) or json.dumps(s["metric"])
        for ts, v in s.get("values") or [s["value"]]:
            rows.append({"time": pd.to_datetime(float(ts), unit="s"), "series": name, "value": float(v)})
    return pd.DataFrame(rows, columns=["time", "series", "value"])


def query(expr: str):
    """An instant query now: one row per series, its labels as columns plus `value`."""
    import pandas as pd

    rows = [{**s["metric"], "value": float(s["value"][1])} for s in prometheus.query(expr, timeout=30)]
    return pd.DataFrame(rows)


def range_query(expr: str, minutes: float = 15.0, legend_fmt: str = "", step: float | None = None):
    """A range query over the last `minutes` (long DataFrame time, series, value), e.g. to plot with lab.charts.lines."""
    end = time.time()
    step = step or max(1.0, round(minutes * 60 / 240))
    return frame(expr, legend_fmt, end - minutes * 60, end, step)
