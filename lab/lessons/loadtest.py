"""Week 9: the live demo — a steady load through Kafka → Spark → Cassandra, and the latency it shows."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from lab import config
from lab.errors import LabError
from lab.pipeline import data, produce, tables
from lab.pipeline.running import source_offsets
from lab.wait import until


def speedup_for(trips: pd.DataFrame, rate: float) -> float:
    """The event-time speed-up that replays `trips` at about `rate` trips per second."""
    if rate <= 0 or len(trips) < 2:
        raise LabError("speedup_for needs a positive rate and at least two trips")
    span = (trips["pickup_ts"].max() - trips["pickup_ts"].min()).total_seconds()
    return max(span * rate / len(trips), 1e-6)


def load_slice(service: str, month: str, n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The first accepted trips of a month, `n` of them in pickup order (scaled up, synthetically, if the file is short)."""
    accepted, rejected = data.validate(data.load(service, month), month)
    if len(accepted) < n:
        accepted = data.scale_up(accepted, int(np.ceil(n / len(accepted))))
    accepted = accepted.sort_values("pickup_ts", kind="stable").head(n)
    return accepted, rejected.head(0)


@dataclass
class Load:
    """A producer running in a background thread (the notebook stays responsive and can draw)."""

    trips: int
    rate: float
    topic: str
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    report: object = None
    error: BaseException | None = None
    thread: threading.Thread | None = None

    def done(self) -> bool:
        return self.thread is not None and not self.thread.is_alive()

    def wait(self, timeout: float) -> object:
        """Wait for the producer to finish; returns its checked ProduceReport."""
        self.thread.join(timeout)
        if self.thread.is_alive():
            raise LabError(f"the load did not finish within {timeout:.0f}s")
        if self.error:
            raise self.error
        return self.report


def wait_running(running, timeout: float = 120.0) -> dict:
    """Wait until the windows query has finished its first micro-batch (so the load measures steady state)."""

    def probe():
        running.check()
        return running.windows.lastProgress

    return until(probe, service="spark streaming query", timeout=timeout, interval=0.5)


def start_load(accepted: pd.DataFrame, rate: float, topic: str = config.LIVE_TOPIC) -> Load:
    """Produce `accepted` to `topic` at about `rate` trips/s, times shifted to now, in a background thread."""
    load = Load(len(accepted), rate, topic)

    def run():
        try:
            load.report = produce.produce_frame(
                accepted, topic=topic, speedup=speedup_for(accepted, rate), shift_to_now=True, progress=False
            )
        except BaseException as exc:  # noqa: BLE001 - handed to wait()
            load.error = exc

    load.thread = threading.Thread(target=run, name="lab-load", daemon=True)
    load.thread.start()
    return load


def written_since(since: datetime, table: str | None = None) -> pd.DataFrame:
    """Window rows (re)written since `since`, with `delay_s` = written_at − Kafka timestamp of the last trip in it.

    `table` defaults to the zone-windows version readers use (lab.config.windows_table()).
    """
    df = tables.read(table or config.windows_table())
    if df.empty:
        return df.assign(delay_s=pd.Series(dtype=float))
    written = pd.to_datetime(df["written_at"], utc=True)
    last = pd.to_datetime(df["last_kafka_ts"], utc=True)
    df = df.assign(delay_s=(written - last).dt.total_seconds())
    return df[written >= pd.Timestamp(since)].sort_values("window_start")


def latency(delays: pd.Series) -> dict[str, float]:
    """p50/p95/p99/max of freshness delays in seconds."""
    d = pd.Series(delays, dtype=float).dropna()
    if d.empty:
        raise LabError("no window rows were written yet: is the stream running and the load started?")
    return {
        "rows": int(len(d)),
        "p50_s": float(d.quantile(0.5)),
        "p95_s": float(d.quantile(0.95)),
        "p99_s": float(d.quantile(0.99)),
        "max_s": float(d.max()),
    }


def watch(load: Load, running, since: datetime, refreshes: int = 10, every_s: float = 2.0, figure=None) -> None:
    """Redraw trips per minute (from Cassandra) while the load runs: at most `refreshes` times, bounded."""
    import plotly.express as px
    from IPython.display import clear_output, display

    for _ in range(refreshes):
        running.check()
        rows = written_since(since)
        if not rows.empty:
            per_min = (
                rows.assign(minute=pd.to_datetime(rows["window_start"]).dt.floor("1min"))
                .groupby("minute", as_index=False)["trips"]
                .sum()
            )
            clear_output(wait=True)
            display(px.bar(per_min, x="minute", y="trips", title=f"Trips per window start, live ({len(rows)} rows)"))
        if load.done():
            break
        deadline = time.monotonic() + every_s
        while time.monotonic() < deadline and not load.done():
            load.thread.join(0.2)


RAMP_RATES = (1000, 2000, 5000, 10000, 20000)  # trips/s, the load ramp's steps (week 8)
P95_TARGET_S = 4.0  # a step holds when its freshness p95 is at most this


def max_lag(progress: list[dict]) -> int:
    """The most records waiting when a micro-batch was planned (summed over partitions): what arrived while the
    previous batch ran. A query that keeps up at r trips/s with a trigger every t seconds shows about r·t; one falling
    behind, a growing figure. (Spark's own `latestOffset − endOffset` is 0 unless maxOffsetsPerTrigger caps the batches.)

    >>> max_lag([{"sources": [{"startOffset": {"t": {"0": 5, "1": 7}}, "latestOffset": {"t": {"0": 9, "1": 8}}}]}])
    5
    """
    worst = 0
    for p in progress:
        for src in p.get("sources", []):
            start, latest = (source_offsets(src.get(k)) for k in ("startOffset", "latestOffset"))
            if start and latest:
                worst = max(worst, sum(o - start.get(key, o) for key, o in latest.items()))
    return worst


def highest_holding(steps: list[dict], p95_target_s: float = P95_TARGET_S, min_share: float = 0.9) -> int | None:
    """The highest target rate whose step held: freshness p95 ≤ target and at least `min_share` of the rate sent.

    Steps are dicts with `target` (trips/s asked), `rate` (trips/s sent) and `p95_s`; the ramp stops counting at the
    first step that does not hold (a higher step that passes after a failing one is luck, not capacity).

    >>> highest_holding([{"target": 1000, "rate": 990, "p95_s": 1.2}, {"target": 2000, "rate": 1990, "p95_s": 3.9},
    ...                  {"target": 5000, "rate": 3100, "p95_s": 2.0}])
    2000
    >>> highest_holding([{"target": 1000, "rate": 1000, "p95_s": 4.5}]) is None
    True
    """
    best = None
    for s in sorted(steps, key=lambda s: s["target"]):
        if s["p95_s"] <= p95_target_s and s["rate"] >= min_share * s["target"]:
            best = s["target"]
        else:
            break
    return best


def ramp(
    running, trips: pd.DataFrame, rates=RAMP_RATES, seconds: int = 10, topic: str = config.LIVE_TOPIC
) -> pd.DataFrame:
    """Step the load through `rates` (trips/s, `seconds` each) into the running query's topic, until a step does not
    hold p95 freshness ≤ P95_TARGET_S with ≥ 90% of its rate sent. One row per step: target, rate (sent), rows, p50_s,
    p95_s, max_lag (the most records waiting when a micro-batch started), holds. `trips`: accepted trips, ≥ max(rates) × seconds."""
    steps = []
    for target in rates:
        since = pd.Timestamp.now(tz="UTC")
        load = start_load(trips.head(int(target * seconds)), target, topic)
        report = load.wait(timeout=seconds * 10 + 120)
        running.process_all_available()
        figures = latency(written_since(since)["delay_s"])
        recent = [p for p in running.progress() if pd.Timestamp(p["timestamp"]) >= since]
        step = {"target": target, "rate": round(report.rate), "rows": figures["rows"]}
        step |= {"p50_s": round(figures["p50_s"], 2), "p95_s": round(figures["p95_s"], 2)}
        step["max_lag"] = max_lag(recent)
        step["holds"] = highest_holding([step]) == target
        steps.append(step)
        if not step["holds"]:
            break
    return pd.DataFrame(steps)
