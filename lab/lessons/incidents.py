"""The incidents a lesson stages for its alerts: a flood of rejected trips into the dead-letter topic, absurd fares
in one zone. Faults of the data, sent through the real producer; the alert rules live in lab.observe.alerts."""

from __future__ import annotations

from datetime import timedelta

from lab import config
from lab.errors import LabError
from lab.pipeline import data, produce, topics
from lab.services import prometheus
from lab.wait import until


def sample_trips(n: int = 200, month: str = "2021-01", service: str = "yellow"):
    """`n` valid trips of the TLC sample (accepted rows of lab.data.validate)."""
    accepted, _ = data.validate(data.load(service, month, limit=max(n * 2, 500)), month)
    return accepted.head(n).copy()


def flood_dlq(n: int = 500, reason: str = "negative_amount", timeout: float = 60.0) -> int:
    """Send `n` invalid trips (negative fares), which the producer routes to the dead-letter topic; returns how many
    the broker acknowledged there.

    A broker creates a topic's message counter at its first message (and anew after a restart), and a rate needs two
    samples of it: a flood into a topic without one would never show as a rate. So one rejected trip goes first, and
    the flood follows once Prometheus has scraped the counter (polled, up to `timeout`).
    """
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
