"""Living with a started streaming job: its queries (Running), their progress and offsets, and what a failure means.

lab.stream builds and starts the job; what `start` returns, and the progress reports it gives, are read here.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lab.errors import DataLost, StreamError
from lab.services import spark as lab_spark

if TYPE_CHECKING:
    from lab.pipeline.stream import Job


def why(exc) -> str:
    """A failed query's error, the lab's own message first (a worker's LabError is buried in Spark's traces)."""
    text = str(exc)
    ours = [line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("lab.errors.") and ": " in line]
    return (ours[-1] + "\n--- Spark's error ---\n" if ours else "") + text[:2000]


def source_offsets(value) -> dict[tuple[str, str], int]:
    """A Kafka source's offsets in a progress report ({"topic": {"0": 12}}, JSON text or parsed) by (topic, partition).

    >>> source_offsets('{"t": {"0": 12, "1": 3}}')
    {('t', '0'): 12, ('t', '1'): 3}
    """
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    if not isinstance(value, dict):
        return {}
    return {(t, str(p)): int(o) for t, parts in value.items() if isinstance(parts, dict) for p, o in parts.items()}


def skipped_offsets(progress) -> dict[str, int]:
    """Topic → offsets one micro-batch passed over unread (a progress dict or StreamingQueryProgress); only skips.

    Spark goes on past offsets that are gone only with failOnDataLoss=false. A partition whose end offset is
    below its start was recreated: the new log's first `end` offsets are never read. Otherwise the offsets
    between start and end that brought no row (numInputRows) had aged out.

    >>> skipped_offsets({"sources": [{"startOffset": {"t": {"0": 300, "1": 5}}, "endOffset": {"t": {"0": 100, "1": 9}},
    ...                                "numInputRows": 4}]})
    {'t': 100}
    >>> skipped_offsets({"sources": [{"startOffset": {"t": {"0": 5}}, "endOffset": {"t": {"0": 9}},
    ...                                "numInputRows": 1}]})
    {'t': 3}
    """
    sources = progress["sources"] if isinstance(progress, dict) else progress.sources
    out: dict[str, int] = {}
    for src in sources or []:
        get = src.get if isinstance(src, dict) else lambda k, s=src: getattr(s, k, None)
        start, end = source_offsets(get("startOffset")), source_offsets(get("endOffset"))
        if not start:  # the first batch starts at the initial offsets, which the progress does not show
            continue
        topics = sorted({t for t, _ in end})
        span = sum(off - start.get(key, 0) for key, off in end.items() if off >= start.get(key, 0))
        aged_out = max(0, span - int(get("numInputRows") or 0))
        for topic in topics:
            n = sum(off for (t, p), off in end.items() if t == topic and off < start.get((t, p), 0))
            n += aged_out if len(topics) == 1 else 0
            if n:
                out[topic] = out.get(topic, 0) + n
    return out


@dataclass
class Running:
    """The started queries of one job."""

    job: Job
    queries: dict = field(default_factory=dict)  # name → pyspark StreamingQuery

    @property
    def windows(self):
        return self.queries[self.job.name]

    def progress(self) -> list[dict]:
        """Recent progress reports of the windows query (dicts, newest last)."""
        return [p for p in self.windows.recentProgress]

    def watermark(self):
        """Spark's current event-time watermark (pandas Timestamp, naive UTC), or None before the first batch.

        Windows ending at or before it are final: pass it as `cutoff` to lab.truth.check while the job runs.
        """
        import pandas as pd

        marks = [p.get("eventTime", {}).get("watermark") for p in self.progress()]
        marks = [m for m in marks if m]
        return pd.Timestamp(marks[-1]).tz_convert(None) if marks else None

    def dropped_by_watermark(self) -> int:
        """Rows dropped as too late, summed over the recent progress reports."""
        return sum(
            op.get("numRowsDroppedByWatermark", 0) for p in self.progress() for op in p.get("stateOperators", [])
        )

    def decode_paths(self) -> dict[str, int]:
        """Records seen and records Spark's own Avro reader decoded, over the recent progress reports.

        The rest went to lab.decode (other schema ids, and everything not certainly good).
        """
        seen = [p.get("observedMetrics", {}).get(f"{self.job.name}_decode") for p in self.progress()]
        seen = [m for m in seen if m]
        return {
            "records": sum(int(m.get("records") or 0) for m in seen),
            "by_spark": sum(int(m.get("by_spark") or 0) for m in seen),
        }

    def skipped_offsets(self) -> int:
        """Offsets the query passed over unread because they were gone (only with allow_data_loss), recent reports."""
        return sum(n for p in self.progress() for n in skipped_offsets(p).values())

    def check(self) -> None:
        """Raise StreamError (DataLost when offsets are gone) if a query died."""
        for name, q in self.queries.items():
            exc = q.exception()
            if exc is not None:
                raise failure(name, self.job.topic, exc)

    def await_done(self, timeout: float = 300.0) -> Running:
        """Wait for bounded triggers (availableNow/once) to finish; StreamError on failure or timeout."""
        deadline = time.monotonic() + timeout
        for name, q in self.queries.items():
            left = max(0.1, deadline - time.monotonic())
            try:
                finished = q.awaitTermination(left)
            except Exception as exc:  # noqa: BLE001 - StreamingQueryException
                raise failure(name, self.job.topic, exc) from exc
            if not finished:
                raise StreamError(
                    f"streaming query {name} still running after {timeout:.0f}s "
                    f"(trigger {self.job.trigger!r}); last progress: {q.lastProgress}"
                )
        self.check()
        return self

    def process_all_available(self) -> Running:
        """Block until every query has processed what is in Kafka now (processing-time triggers)."""
        for name, q in self.queries.items():
            try:
                q.processAllAvailable()
            except Exception as exc:  # noqa: BLE001 - StreamingQueryException
                raise failure(name, self.job.topic, exc) from exc
        self.check()
        return self

    def stop(self) -> None:
        for q in self.queries.values():
            q.stop()


def failure(query: str, topic: str, exc) -> StreamError:
    """The lab's error for a query that died: DataLost when Kafka offsets it was to read are gone."""
    text = str(exc)
    if "failOnDataLoss" in text or "KAFKA_DATA_LOSS" in text or "data may have been" in text:
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        said = [line for line in lines if "offset" in line.lower() and "failOnDataLoss" not in line] or lines[:1]
        return DataLost(query, topic, said[0][:500])  # Spark's own advice (failOnDataLoss=false) is left out
    return StreamError(f"streaming query {query} failed: {why(exc)}")


def active() -> list:
    """The streaming queries running in the lab's SparkSession."""

    return list(lab_spark.session().streams.active) if lab_spark.running() else []
