"""Late data, shown with controlled events: one trip within the watermark (window updated), three beyond it (dropped).

The demo drives the real job (lab.stream, memory sink) micro-batch by micro-batch on its own topic:
batch 1 has on-time trips and one trip that moves the watermark forward; batch 2 has the late trips.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from lab import config
from lab.observe import progress
from lab.pipeline import data, produce, stream, topics
from lab.services import spark as lab_spark

T0 = pd.Timestamp("2021-01-01 12:00:00")  # the demo's event-time origin (NY wall clock, encoded as UTC)


@dataclass
class LateDemo:
    """What happened in each step: the window rows after it and the query's progress numbers."""

    watermark: str
    zone_id: int
    steps: list[dict] = field(default_factory=list)  # {step, sent, windows (DataFrame), progress (list of dicts)}

    def counts(self) -> pd.DataFrame:
        """Trips per window after each step (rows: window start, columns: steps)."""
        cols = {s["step"]: s["windows"].set_index("window_start")["trips"] for s in self.steps}
        return pd.DataFrame(cols).fillna(0).astype(int).sort_index()

    def versus_truth(self, window: str = "5min") -> pd.DataFrame:
        """Per window: trips sent (the truth), trips the query counted (its last version), trips dropped as late."""
        sent = pd.Series([t for s in self.steps for t in s["pickups"]]).dt.floor(window).value_counts()
        counted = self.steps[-1]["windows"].set_index("window_start")["trips"] if self.steps else pd.Series()
        out = pd.DataFrame({"sent (truth)": sent, "counted": counted}).fillna(0).astype(int).sort_index()
        out["dropped as late"] = out["sent (truth)"] - out["counted"]
        out.index.name = "window_start"
        return out

    def metrics(self) -> pd.DataFrame:
        """Per micro-batch: input rows, watermark, rows dropped by the watermark."""
        cols = ["step", "batch", "input_rows", "watermark", "max_event_time", "dropped_by_watermark", "state_rows"]
        frames = [progress.frame(s["progress"]).assign(step=s["step"]) for s in self.steps]
        return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)


def trips(pickups: list[pd.Timestamp], zone_id: int, tag: str) -> pd.DataFrame:
    """Real-looking trips (fields of the first sample trip) at the given pickup times in one zone."""
    base = data.load("yellow", "2021-01", limit=1)
    out = pd.concat([base] * len(pickups), ignore_index=True)
    duration = pd.Timedelta(minutes=12)
    out["pickup_ts"] = pd.Series(pickups, dtype="datetime64[us]")
    out["dropoff_ts"] = (out["pickup_ts"] + duration).astype("datetime64[us]")
    out["pu_location_id"] = pd.array([zone_id] * len(pickups), dtype="Int64")
    out["trip_id"] = [f"late-demo-{tag}-{i}" for i in range(len(pickups))]
    out.index.name = "row"
    return out


def _send(df: pd.DataFrame, topic: str) -> None:
    produce.produce_frame(df, topic=topic, dlq=f"{topic}-dlq", progress=False)


def _windows(spark, name: str) -> pd.DataFrame:
    """The latest version of each zone window the memory sink has seen."""
    rows = spark.sql(f"SELECT w.start AS window_start, trips FROM {name} WHERE gid = 0").toPandas()
    return rows.groupby("window_start", as_index=False)["trips"].max() if len(rows) else rows


def demo(watermark: str = "10 minutes", zone_id: int = 161, topic: str | None = None, spark=None) -> LateDemo:
    """Run the late-data demonstration; returns the per-step windows and progress metrics.

    Step 1 sends three on-time trips in 12:00–12:05 and one at 12:21 (max event time 12:21 →
    watermark 12:11 after the batch). Step 2 sends a trip at 12:14 (its window ends 12:15, after the
    watermark: counted) and three at 12:02–12:04 (window ended 12:05, before the watermark: dropped).
    """
    topic = topic or config.LATE_TOPIC
    topics.ensure_topics(topic, f"{topic}-dlq")
    spark = spark or lab_spark.start()
    job = stream.Job(
        topic=topic,
        name="late_demo",
        watermark=watermark,
        trigger="1 second",
        starting_offsets="latest",
        sink="memory",
        quarantine=False,
    )
    stream.reset(job)
    running = stream.start(job, spark)
    result = LateDemo(watermark, zone_id)
    plan = [
        ("1: on time", [T0 + pd.Timedelta(minutes=m) for m in (1, 2, 3)] + [T0 + pd.Timedelta(minutes=21)]),
        ("2: late", [T0 + pd.Timedelta(minutes=14)] + [T0 + pd.Timedelta(minutes=m) for m in (2, 3, 4)]),
    ]
    try:
        running.process_all_available()  # the query is attached to the end of the topic
        for step, pickups in plan:
            seen = len(running.progress())
            _send(trips(pickups, zone_id, step[0]), topic)
            running.process_all_available()
            result.steps.append(
                {
                    "step": step,
                    "sent": [p.strftime("%H:%M") for p in pickups],
                    "pickups": pickups,
                    "windows": _windows(spark, job.name),
                    "progress": running.progress()[seen:],
                }
            )
    finally:
        running.stop()
    return result
