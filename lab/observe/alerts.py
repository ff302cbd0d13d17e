"""Prometheus alerts of the lab: rule states, bounded waits for a state, fast evaluation (the incidents that trip
them are staged by lab.lessons.incidents)."""

from __future__ import annotations

from lab.errors import LabError
from lab.services import prometheus, target
from lab.wait import until

STATES = ("inactive", "pending", "firing")


def rules():
    """Every alerting rule Prometheus evaluates: name, state, for (s), health, expression (a DataFrame)."""
    import pandas as pd

    rows = [
        {
            "alert": r["name"],
            "state": r["state"],
            "for_s": r.get("duration", 0),
            "health": r["health"],
            "severity": r.get("labels", {}).get("severity", ""),
            "expr": " ".join(r["query"].split()),
        }
        for g in prometheus.api("rules", timeout=10, type="alert")["groups"]
        for r in g["rules"]
    ]
    return pd.DataFrame(rows)


def active() -> list[dict]:
    """The pending and firing alerts (name, state, labels, value, since)."""
    return [
        {
            "alert": a["labels"]["alertname"],
            "state": a["state"],
            "since": a.get("activeAt"),
            "value": a.get("value"),
            "labels": {k: v for k, v in a["labels"].items() if k != "alertname"},
        }
        for a in prometheus.api("alerts", timeout=10)["alerts"]
    ]


def state(name: str, **labels: str) -> str:
    """'firing', 'pending' or 'inactive' for alert `name` (only instances whose labels include `labels`)."""
    if name not in set(rules()["alert"]):
        raise LabError(f"Prometheus has no alerting rule {name!r} (are the rules loaded? lab.alerts.rules())")
    found = [
        a["state"] for a in active() if a["alert"] == name and all(a["labels"].get(k) == v for k, v in labels.items())
    ]
    return "firing" if "firing" in found else ("pending" if found else "inactive")


def wait(name: str, want: str = "firing", timeout: float = 120.0, **labels: str) -> str:
    """Poll until alert `name` is in state `want` (bounded); returns the state, ServiceNotReady on timeout."""
    if want not in STATES:
        raise LabError(f"unknown alert state {want!r}: one of {', '.join(STATES)}")
    return until(
        lambda: state(name, **labels) == want and want, service=f"alert {name} {want}", timeout=timeout, interval=1.0
    )


def fast(interval: str = "1s") -> str:
    """Scrape and evaluate every `interval` (tests and smoke runs: alerts fire within seconds); says what it did.

    Only the local Prometheus is re-configured: on kind the cluster's Prometheus keeps its deployed intervals (its
    alerts fire the same, some seconds later), and nothing changes.
    """
    if not target.current().local:
        return "the kind cluster's Prometheus keeps its intervals (k8s/base/prometheus/configmap.yaml)"
    set_intervals(interval, interval)
    return f"the local Prometheus scrapes and evaluates every {interval}"


def set_intervals(scrape: str = "5s", evaluation: str = "5s") -> None:
    """Re-render the local Prometheus config with these intervals and reload it (the lab default is 5 s / 5 s)."""
    target.current().require_local(
        "set_intervals changes the local Prometheus only; on kind edit k8s/base/prometheus/configmap.yaml"
    )
    prometheus.reload(scrape, evaluation)
