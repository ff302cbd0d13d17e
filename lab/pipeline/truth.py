"""Ground truth: the stream's window aggregates recomputed in pandas, and an exact comparison with Cassandra.

This is deliberately NOT the streaming code path: trips come from lab.data (the producer's accepted
rows) or any DataFrame with the Avro field names, and plain pandas group-bys compute the same metrics
(definitions in lab/cql/002_windows.cql). `check` compares every Cassandra row with the truth:
counts must be equal, sums and averages equal within 1e-9 relative.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lab.errors import CheckFailed
from lab.pipeline import data, topics
from lab.pipeline import tables as lab_tables
from lab.pipeline.schemas import deserializer

REL_TOL = 1e-9
COUNTS = ("trips", "passengers", "tip_trips")
FLOATS = ("fare_total", "fare_avg", "distance_total", "distance_avg", "tip_pct_avg", "revenue_total")
KEYS = {
    "zone_windows": ("zone_id", "window_start"),
    "borough_windows": ("borough", "window_start"),
    "top_zones": ("window_start", "zone_id"),
}
COLUMNS = {
    "zone_windows": ("zone", "borough", *COUNTS, *FLOATS),
    "borough_windows": (*COUNTS, *FLOATS),
    "top_zones": ("zone", "borough", "trips", "revenue_total", "fare_avg"),
}


def accepted(service: str = "yellow", month: str = "2021-01", limit: int | None = None) -> pd.DataFrame:
    """The trips the producer accepts from one TLC file (lab.data.load + lab.data.validate)."""
    ok, _ = data.validate(data.load(service, month, limit=limit), month)
    return ok


def max_lateness(trips: pd.DataFrame) -> pd.Timedelta:
    """How far behind the newest pickup seen so far a trip can arrive, in the frame's (file) order.

    A watermark shorter than this drops trips when the data arrives in several micro-batches.
    """
    t = trips["pickup_ts"]
    return (t.cummax() - t).max()


def aggregate(trips: pd.DataFrame, window: str = "5 minutes") -> dict[str, pd.DataFrame]:
    """The expected rows of zone_windows, borough_windows and top_zones for these trips."""
    zones = data.zones().set_index("LocationID")
    size = pd.Timedelta(window)
    t = pd.DataFrame(
        {
            "window_start": trips["pickup_ts"].dt.floor(size),
            "zone_id": trips["pu_location_id"].astype("int64"),
            "passengers": trips["passenger_count"].fillna(0).astype("int64"),
            "fare": trips["fare_amount"].astype("float64"),
            "distance": trips["trip_distance"].astype("float64"),
            "revenue": trips["total_amount"].astype("float64"),
        }
    )
    paid = t["fare"] > 0
    t["tip_trip"] = paid.astype("int64")
    t["tip_pct"] = np.where(paid, 100 * trips["tip_amount"].to_numpy() / t["fare"].where(paid, 1.0), np.nan)
    t["borough"] = t["zone_id"].map(zones["Borough"])

    def metrics(g: pd.core.groupby.DataFrameGroupBy) -> pd.DataFrame:
        out = g.agg(
            trips=("fare", "size"),
            passengers=("passengers", "sum"),
            fare_total=("fare", "sum"),
            distance_total=("distance", "sum"),
            tip_trips=("tip_trip", "sum"),
            tip_pct_sum=("tip_pct", "sum"),
            revenue_total=("revenue", "sum"),
        ).reset_index()
        out["fare_avg"] = out["fare_total"] / out["trips"]
        out["distance_avg"] = out["distance_total"] / out["trips"]
        out["tip_pct_avg"] = (out["tip_pct_sum"] / out["tip_trips"]).where(out["tip_trips"] > 0)
        out["window_end"] = out["window_start"] + size
        out["day"] = out["window_start"].dt.normalize()
        return out.drop(columns="tip_pct_sum")

    zone = metrics(t.groupby(["zone_id", "window_start"]))
    zone["zone"] = zone["zone_id"].map(zones["Zone"])
    zone["borough"] = zone["zone_id"].map(zones["Borough"])
    borough = metrics(t.groupby(["borough", "window_start"]))
    top = zone[
        ["day", "window_start", "zone_id", "window_end", "zone", "borough", "trips", "revenue_total", "fare_avg"]
    ]
    return {"zone_windows": zone, "borough_windows": borough, "top_zones": top.copy()}


@dataclass
class TableDiff:
    """Differences between the expected and the actual rows of one table."""

    table: str
    compared: int
    missing: pd.DataFrame  # expected rows with no row in Cassandra (keys)
    extra: pd.DataFrame  # Cassandra rows the truth does not have (keys)
    differing: pd.DataFrame  # key columns + column, expected, actual

    @property
    def ok(self) -> bool:
        return self.missing.empty and self.extra.empty and self.differing.empty

    def summary(self) -> str:
        head = (
            f"{'✅' if self.ok else '❌'} {self.table}: {self.compared} rows compared, {len(self.missing)} missing, "
            f"{len(self.extra)} extra, {len(self.differing)} differing values"
        )
        lines = [head]
        for name, df in (("missing", self.missing), ("extra", self.extra), ("differing", self.differing)):
            if not df.empty:
                lines.append(f"   first {name}: " + df.head(3).to_string(index=False).replace("\n", "\n   "))
        return "\n".join(lines)


@dataclass
class Report:
    """The result of comparing Cassandra with the ground truth."""

    tables: list[TableDiff] = field(default_factory=list)
    cutoff: pd.Timestamp | None = None

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tables)

    def summary(self) -> str:
        scope = f"windows ending at or before {self.cutoff}" if self.cutoff is not None else "all windows"
        return "\n".join([f"Exactness check ({scope}):", *(t.summary() for t in self.tables)])

    def __str__(self) -> str:
        return self.summary()

    def _repr_pretty_(self, p, cycle) -> None:  # IPython shows the summary
        p.text(self.summary())


def _same(a, b) -> bool:
    if (a is None or (isinstance(a, float) and math.isnan(a))) and (
        b is None or (isinstance(b, float) and math.isnan(b))
    ):
        return True
    if a is None or b is None:
        return False
    if isinstance(a, (int, np.integer)) and isinstance(b, (int, np.integer)):
        return int(a) == int(b)
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return math.isclose(float(a), float(b), rel_tol=REL_TOL, abs_tol=1e-9)


def compare_table(
    table: str, expected: pd.DataFrame, actual: pd.DataFrame, cutoff: pd.Timestamp | None = None
) -> TableDiff:
    """Compare one table row by row on its key (only windows ending at or before `cutoff`, if given)."""
    keys, cols = list(KEYS[table]), list(COLUMNS[table])
    if actual is None or actual.empty:
        actual = pd.DataFrame(columns=[*keys, "window_end", *cols])
    exp, act = expected.copy(), actual.copy()
    for df in (exp, act):
        df["window_start"] = pd.to_datetime(df["window_start"]).astype("datetime64[ns]")
        df["window_end"] = pd.to_datetime(df["window_end"]).astype("datetime64[ns]")
        if "zone_id" in df:
            df["zone_id"] = df["zone_id"].astype("int64")
    if cutoff is not None:
        exp = exp[exp["window_end"] <= cutoff]
        act = act[act["window_end"] <= cutoff]
    merged = exp[keys + cols].merge(act[keys + cols], on=keys, how="outer", suffixes=("_exp", "_act"), indicator=True)
    missing = merged.loc[merged["_merge"] == "left_only", keys].reset_index(drop=True)
    extra = merged.loc[merged["_merge"] == "right_only", keys].reset_index(drop=True)
    both = merged[merged["_merge"] == "both"]
    diffs = []
    for col in cols:
        for row in both[keys + [f"{col}_exp", f"{col}_act"]].itertuples(index=False):
            e, a = row[-2], row[-1]
            if col in COUNTS and not (pd.isna(e) or pd.isna(a)):
                e, a = int(e), int(a)
            if not _same(e, a):
                diffs.append({**dict(zip(keys, row[: len(keys)])), "column": col, "expected": e, "actual": a})
    differing = pd.DataFrame(diffs, columns=[*keys, "column", "expected", "actual"])
    return TableDiff(table, len(both), missing, extra, differing)


def cutoff(max_event_time, watermark: str) -> pd.Timestamp:
    """The end of the last window the watermark has closed: windows ending at or before it are final."""
    return pd.Timestamp(max_event_time) - pd.Timedelta(watermark)


def check(
    expected: dict[str, pd.DataFrame],
    *,
    cutoff: pd.Timestamp | None = None,
    strict: bool = False,
    tables: tuple[str, ...] = tuple(KEYS),
    actual: dict[str, pd.DataFrame] | None = None,
) -> Report:
    """Compare Cassandra's window tables with `expected` (from `aggregate`); CheckFailed when strict and not ok.

    Use `cutoff` while the stream runs (see `cutoff()`); leave it None after an availableNow run has finished.
    """
    actual = actual or {t: lab_tables.read(t) for t in tables}
    report = Report([compare_table(t, expected[t], actual[t], cutoff) for t in tables], cutoff)
    if strict and not report.ok:
        raise CheckFailed(report.summary())
    return report


def from_topic(topic: str, timeout: float = 60.0) -> pd.DataFrame:
    """Every usable trip in a Kafka topic, read with a plain consumer and confluent-kafka's AvroDeserializer.

    Independent of Spark and of lab.decode: records the deserializer cannot read, and trips that break
    lab.data's rules, are left out (the stream quarantines them). Use it when the topic does not hold
    exactly one copy of a TLC file (smoke runs, replays).
    """
    from confluent_kafka.serialization import MessageField, SerializationContext

    msgs = topics.peek(topic, max_messages=topics.count_messages(topic), timeout=timeout)
    des, rows = deserializer(), []
    ctx = SerializationContext(topic, MessageField.VALUE)
    for m in msgs:
        try:
            rows.append(des(m["value"], ctx))
        except Exception:  # noqa: BLE001 - not decodable: quarantined by the stream, not a trip
            continue
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    ok, _ = data.validate_by_month(data.typed(df))
    return ok
