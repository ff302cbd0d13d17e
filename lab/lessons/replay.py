"""Week 9: reprocessing the Kappa way — replay the log from offset 0 and prove the rebuilt tables exact.

The independent side of the comparison is lab.truth.from_topic (a plain consumer, no Spark).
"""

from __future__ import annotations

import pandas as pd

from lab.pipeline import archive, data, sink, stream, tables, truth
from lab.services import spark as lab_spark
from lab.services import stack, target


def expected_for(trips: pd.DataFrame, window: str = "5 minutes") -> dict[str, pd.DataFrame]:
    """Ground truth for these trips (lab.truth.aggregate, pandas)."""
    return truth.aggregate(trips, window)


def written_by(table: str, since) -> pd.DataFrame:
    """A Cassandra table's rows (re)written at or after `since`: what one replay wrote, not other weeks' rows."""
    df = tables.read(table)
    return df if df.empty else df[pd.to_datetime(df["written_at"], utc=True) >= pd.Timestamp(since)]


def check_replay(expected: dict[str, pd.DataFrame], since, strict: bool = False):
    """Compare what the replay wrote (rows written since `since`) with `expected`; a lab.truth.Report.

    Missing rows (expected, not rewritten), extra rows (written, not expected) and differing values all count.
    """
    return truth.check(expected, actual={t: written_by(t, since) for t in truth.KEYS}, strict=strict)


def reprocess(topic: str, name: str, window: str = "5 minutes", sink: str = "cassandra", timeout: float = 600.0):
    """Run a NEW version of the job over the whole log: fresh checkpoint, from offset 0, until caught up.

    `sink="memory"` keeps the result in a Spark table named `name` (compare a new logic before switching readers).
    Returns the finished lab.running.Running.
    """
    job = stream.Job(
        topic=topic,
        name=name,
        window=window,
        trigger="availableNow",
        starting_offsets="earliest",
        sink=sink,
        quarantine=False,
    )
    stream.reset(job)
    return stream.start(job).await_done(timeout)


def per_hour(df: pd.DataFrame, time_col: str = "window_start", count_col: str = "trips") -> pd.Series:
    """Trips per hour from window rows (any window length that divides an hour)."""
    t = pd.to_datetime(df[time_col])
    return df.groupby(t.dt.floor("1h"))[count_col].sum().sort_index()


def reprocess_v2(topic: str, table: str = "zone_windows_v2", window: str = "10 minutes", timeout: float = 600.0) -> int:
    """The lab's version of week 9's v2 job: the log from offset 0 in `window` windows, zone rows upserted into
    kappa.<table> (v1 untouched). Returns the rows written."""
    name = f"{table}_{topic}".replace("-", "_")
    reprocess(topic, name=name, window=window, sink="memory", timeout=timeout)
    zones = data.zones()
    zone, _ = sink.window_rows(lab_spark.session().table(name), dict(zip(zones["LocationID"], zones["Zone"])))
    rows = zone.select(*sink.ZONE_COLS).cache()
    sink.save(rows, table)
    n = rows.count()
    rows.unpersist()
    return n


def forget_archived(topic: str) -> dict:
    """Before `topic` is recreated: stop the archive's connector and drop its rows of `topic` (lab.archive.forget),
    where the target runs the archive (the local one); on kind the archive is the optional component
    k8s/components/archive, not this notebook's: nothing to forget. Returns what was dropped."""
    if not target.current().runs("connect"):
        return {}
    stack.down(["connect"])  # the connector must not hold the topic's offsets
    return archive.forget(topic)
