"""The notebook's solutions, imported by the answers that vary one part only."""

import json

import pandas as pd
import requests
from pyspark.sql import functions as F
from pyspark.sql.streaming.state import GroupStateTimeout

import lab

ANOMALY_SCHEMA = json.dumps(lab.exercises.stateful.ANOMALY_SCHEMA)
COLUMNS = ["zone_id", "trip_id", "pickup_ts", "fare_amount", "baseline"]


def join_of(trips, surges, watermark, duration, *, both=True, ranged=True, key="pu_location_id"):
    """surge_trips with each part chosen: a watermark on the surges too, the time range, the trips' zone column."""
    t = trips.withWatermark("pickup_ts", watermark)
    s = surges.withWatermark("starts_at", watermark) if both else surges
    cond = f"{key} = zone_id"
    if ranged:
        cond += f" AND pickup_ts >= starts_at AND pickup_ts < starts_at + interval {duration}"
    return t.join(s, F.expr(cond)).select("trip_id", "surge_id", "multiplier")


def anomalies_of(trips, factor, min_trips, quiet, watermark, *, timeout="event", remove=True):
    """fare_anomalies with the timeout kind ("event", "processing", "none") and the removal chosen."""
    quiet_ms = int(pd.Timedelta(quiet).total_seconds() * 1000)
    kinds = {
        "event": GroupStateTimeout.EventTimeTimeout,
        "processing": GroupStateTimeout.ProcessingTimeTimeout,
        "none": GroupStateTimeout.NoTimeout,
    }

    def detect(key, frames, state):
        if state.hasTimedOut:
            if remove:
                state.remove()
            return
        n, total = state.get if state.exists else (0, 0.0)
        rows = pd.concat(list(frames)).sort_values("pickup_ts")
        found = []
        for trip in rows.itertuples():
            if n >= min_trips and trip.fare_amount > factor * total / n:
                found.append((key[0], trip.trip_id, trip.pickup_ts, trip.fare_amount, total / n))
            n, total = n + 1, total + trip.fare_amount
        state.update((n, total))
        if timeout == "event":
            state.setTimeoutTimestamp(rows["pickup_ts"].max().value // 1_000_000 + quiet_ms)
        elif timeout == "processing":
            state.setTimeoutDuration(quiet_ms)
        if found:
            yield pd.DataFrame(found, columns=COLUMNS)

    return (
        trips.withWatermark("pickup_ts", watermark)
        .select(F.col("pu_location_id").alias("zone_id"), "trip_id", "pickup_ts", "fare_amount")
        .groupBy("zone_id")
        .applyInPandasWithState(
            detect,
            ", ".join(f"{c} {t}" for c, t in zip(COLUMNS, ("int", "string", "timestamp", "double", "double"))),
            "n long, total double",
            "append",
            kinds[timeout],
        )
    )


def register(topic):
    url = lab.schema_registry.registry_url()
    answer = requests.post(f"{url}/subjects/{topic}-value/versions", json={"schema": ANOMALY_SCHEMA}, timeout=10)
    answer.raise_for_status()
    return int(answer.json()["id"])


def to_kafka(values, topic, checkpoint):
    """Start the query writing the (key, value) DataFrame `values` to `topic`."""
    return (
        values.writeStream.format("kafka")
        .option("kafka.bootstrap.servers", lab.kafka.bootstrap_servers())
        .option("topic", topic)
        .option("checkpointLocation", checkpoint)
        .trigger(availableNow=True)
        .start()
    )
