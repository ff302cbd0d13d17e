"""PromQL from Python: instant and range queries against the lab's Prometheus, as pandas DataFrames."""
from __future__ import annotations

import json
import re
import time

from lab import config
from lab.errors import LabError

_UNIT_S = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def url() -> str:
    """The Prometheus HTTP root of the selected target."""
    try:
        from lab.services import prometheus
    except ImportError:  # pragma: no cover - the services module ships with the lab
        return f"http://127.0.0.1:{config.ports().prometheus}"
    return prometheus.prometheus_url()


def seconds(duration: str) -> float:
    """A Prometheus duration ("500ms", "5s", "1m30s") in seconds.

    >>> seconds("1m30s"), seconds("500ms")
    (90.0, 0.5)
    """
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)", duration)
    if not parts or "".join(n + u for n, u in parts) != duration:
        raise LabError(f"not a Prometheus duration: {duration!r}")
    return float(sum(float(n) * _UNIT_S[u] for n, u in parts))


def scrape_interval() -> float:
    """Prometheus's global scrape interval in seconds (Grafana's $__rate_interval is at least 4x it); 5 s if unknown."""
    import requests
    import yaml

    try:
        cfg = requests.get(url() + "/api/v1/status/config", timeout=5).json()["data"]["yaml"]
        return seconds(yaml.safe_load(cfg)["global"]["scrape_interval"])
    except Exception:  # noqa: BLE001 - only the $__rate_interval default depends on it
        return 5.0


def _get(path: str, params: dict) -> list[dict]:
    import requests

    body = requests.get(url() + path, params=params, timeout=30).json()
    if body.get("status") != "success":
        raise LabError(f"Prometheus: {body.get('errorType')}: {body.get('error')} (query {params.get('query')!r})")
    return body["data"]["result"]


def legend(fmt: str, labels: dict) -> str:
    """Grafana's legend template: "{{topic}}" → the value of label topic."""
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: str(labels.get(m.group(1), "")), fmt) if fmt else ""


def frame(expr: str, legend_fmt: str, start: float, end: float, step: float, instant: bool = False):
    """Long DataFrame (time, series, value) of a range (or instant) query; `series` is the legend."""
    import pandas as pd

    if instant:
        result = _get("/api/v1/query", {"query": expr, "time": end})
    else:
        result = _get("/api/v1/query_range", {"query": expr, "start": start, "end": end, "step": step})
    rows = []
    for s in result:
        name = legend(legend_fmt, s["metric"]) or json.dumps(s["metric"])
        for ts, v in s.get("values") or [s["value"]]:
            rows.append({"time": pd.to_datetime(float(ts), unit="s"), "series": name, "value": float(v)})
    return pd.DataFrame(rows, columns=["time", "series", "value"])


def query(expr: str):
    """An instant query now: one row per series, its labels as columns plus `value`."""
    import pandas as pd

    rows = [{**s["metric"], "value": float(s["value"][1])} for s in _get("/api/v1/query", {"query": expr})]
    return pd.DataFrame(rows)


def range_query(expr: str, minutes: float = 15.0, legend_fmt: str = "", step: float | None = None):
    """A range query over the last `minutes` (long DataFrame time, series, value), e.g. to plot with lab.charts.lines."""
    end = time.time()
    step = step or max(1.0, round(minutes * 60 / 240))
    return frame(expr, legend_fmt, end - minutes * 60, end, step)
