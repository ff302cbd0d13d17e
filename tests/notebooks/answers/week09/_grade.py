"""Week 09's v2 reprocessing job as the notebook grades it, on a small topic of hand-placed trips (the month's first
trips moved to a day of their own, 2020-06-17) and v1 rows written for them just before (lab.truth's 5-minute
windows): one SparkSession for the test session."""

import numpy as np
import pandas as pd

import lab
from lab.lessons.exercises import grade, week09

DAY = pd.Timestamp("2020-06-17")
TRIPS = 200


def _trips() -> pd.DataFrame:
    ok, _ = lab.data.validate(lab.data.load("yellow", "2021-01", limit=TRIPS * 2), "2021-01")
    ok = ok.head(TRIPS)
    # spread over the day, one trip every 3 minutes, so hours and windows differ
    pickups = pd.Series(DAY + pd.to_timedelta(np.arange(len(ok)) * 3, unit="min"), index=ok.index)
    return ok.assign(
        pickup_ts=pickups.astype(ok["pickup_ts"].dtype),
        dropoff_ts=(pickups + pd.Timedelta(minutes=9)).astype(ok["dropoff_ts"].dtype),
    )


def reprocess_v2(answer, name):
    spark = lab.spark.start()
    lab.tables.apply()
    trips = _trips()
    lab.topics.ensure_topics(name, f"{name}-dlq")
    lab.produce.produce_frame(trips, topic=name, dlq=f"{name}-dlq", progress=False, check=False)
    v1_since = pd.Timestamp.now(tz="UTC")
    v1 = lab.truth.aggregate(trips)["zone_windows"].assign(written_at=pd.Timestamp.now(tz="UTC").tz_localize(None))
    lab.tables.write("zone_windows", v1)
    schema = lab.schemas.schema_str(lab.schemas.get(lab.config.subject(name))["schema"])
    try:
        return grade(
            week09.check_reprocess_v2,
            answer.reprocess_v2,
            spark,
            name,
            schema,
            lab.truth.from_topic(name),
            v1_since,
            timeout_s=getattr(answer, "TIMEOUT_S", 300),
        )
    finally:
        lab.topics.delete_topics([name, f"{name}-dlq"])


def p95(answer, name):
    """Freshness-like delays: the seconds from pickup to dropoff of the month's first trips (real, skewed data)."""
    trips = _trips_of_month()
    delays = (trips["dropoff_ts"] - trips["pickup_ts"]).dt.total_seconds().rename("delay_s")
    return grade(week09.check_p95, answer.p95, delays)


def _trips_of_month() -> pd.DataFrame:
    ok, _ = lab.data.validate(lab.data.load("yellow", "2021-01", limit=TRIPS * 2), "2021-01")
    return ok.head(TRIPS)


def total(answer, name):
    """v2's rows as lab.truth's 10-minute windows of the trips (what the replay writes), and the trips' count."""
    trips = _trips()
    v2 = lab.truth.aggregate(trips, "10 minutes")["zone_windows"]
    return grade(week09.check_total, answer.total_trips, v2, len(trips))


def replay_rate(answer, name):
    """A replay's micro-batches as lab.progress.frame gives them, from progress reports of batches of unequal size."""
    sizes, millis = [4000, 3900, 120], [2500, 2300, 400]
    reports = [
        {
            "batchId": i,
            "timestamp": "2026-01-01T00:00:00.000Z",
            "numInputRows": n,
            "processedRowsPerSecond": n / (ms / 1000) * 0.97,
            "durationMs": {"triggerExecution": ms},
        }
        for i, (n, ms) in enumerate(zip(sizes, millis))
    ]
    return grade(week09.check_replay_rate, answer.replay_rate, lab.progress.frame(reports))


EXERCISES = {"reprocess_v2": reprocess_v2, "p95": p95, "total": total, "replay_rate": replay_rate}
