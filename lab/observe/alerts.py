"""Prometheus alerts of the lab: rule states, bounded waits for a state, fast evaluation, and the faults that trip them."""

from __future__ import annotations

from datetime import timedelta

from lab import config
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


def fast(interval: str = "1s") -> None:
    """Scrape and evaluate every `interval` (tests and smoke runs: alerts fire within seconds)."""
    set_intervals(interval, interval)


def set_intervals(scrape: str = "5s", evaluation: str = "5s") -> None:
    """Re-render the local Prometheus config with these intervals and reload it (the lab default is 5 s / 5 s)."""
    target.current().require_local(
        "set_intervals changes the local Prometheus only; on kind edit k8s/base/prometheus/configmap.yaml"
    )
    prometheus.reload(scrape, evaluation)


# -- faults ------------------------------------------------------------------------------------------
def sample_trips(n: int = 200, month: str = "2021-01", service: str = "yellow"):
    """`n` valid trips of the TLC sample (accepted rows of lab.data.validate)."""
    from lab.pipeline import data

    accepted, _ = data.validate(data.load(service, month, limit=max(n * 2, 500)), month)
    return accepted.head(n).copy()


def flood_dlq(n: int = 500, reason: str = "negative_amount", timeout: float = 60.0) -> int:
    """Send `n` invalid trips (negative fares), which the producer routes to the dead-letter topic; returns how many
    the broker acknowledged there.

    A broker creates a topic's message counter at its first message (and anew after a restart), and a rate needs two
    samples of it: a flood into a topic without one would never show as a rate. So one rejected trip goes first, and
    the flood follows once Prometheus has scraped the counter (polled, up to `timeout`).
    """
    from lab.pipeline import data, produce, topics

    topics.ensure_topics()  # the dead-letter topic exists even when no week produced into taxi-trips yet
    bad = sample_trips(n)
    bad["fare_amount"] = -abs(bad["fare_amount"]) - 1.0
    accepted, rejected = data.validate(bad, "2021-01")
    if len(accepted) or set(rejected["reason"]) != {reason}:
        raise LabError(f"the flood should be all {reason}, got {rejected['reason'].value_counts().to_dict()}")
    first = produce.produce_frame(accepted, rejected.iloc[:1], progress=False)
    counter = f'kafka_server_brokertopicmetrics_messagesinpersec_total{{topic="{config.DLQ_TOPIC}"}}'
    until(
        lambda: prometheus.query(counter),
        service=f"Prometheus scraping the counter of {config.DLQ_TOPIC}",
        timeout=timeout,
    )
    rest = produce.produce_frame(accepted, rejected.iloc[1:], progress=False)
    return first.dlq_delivered + rest.dlq_delivered


def inject_fares(zone_id: int, window_start, fare: float, trips: int = 5, topic: str = config.TRIPS_TOPIC):
    """Produce `trips` valid trips from zone `zone_id` in the 5-minute window starting at `window_start`, all at `fare`
    USD, into `topic` (a week's own topic, so that the shared taxi-trips stays clean)."""
    import pandas as pd

    from lab.pipeline import produce

    df = sample_trips(trips)
    start = (
        pd.Timestamp(window_start).tz_localize(None)
        if pd.Timestamp(window_start).tzinfo
        else pd.Timestamp(window_start)
    )
    df["pu_location_id"] = int(zone_id)
    offsets = pd.to_timedelta([10 + 20 * i for i in range(len(df))], unit="s")
    df["pickup_ts"] = pd.Series(start + offsets, index=df.index).astype("datetime64[us]")
    df["dropoff_ts"] = (df["pickup_ts"] + timedelta(minutes=12)).astype("datetime64[us]")
    df["fare_amount"] = float(fare)
    df["tip_amount"] = 0.0
    df["total_amount"] = (
        df["fare_amount"] + df["extra"] + df["mta_tax"] + df["tolls_amount"] + df["improvement_surcharge"]
    )
    df["trip_id"] = [f"fault-{zone_id}-{start:%Y%m%d%H%M}-{i}" for i in range(len(df))]
    return produce.produce_frame(df, topic=topic, progress=False)
