"""TLC trip records: download a month, load it under the Avro field names, validate it, replay it."""

from __future__ import annotations

import os
import re
import tempfile
import urllib.parse
import urllib.request
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from lab import config
from lab.errors import DataError

ZONES_PATH = "misc/taxi_zone_lookup.csv"
MAX_DISTANCE_MI = 200.0
MAX_DURATION = pd.Timedelta(hours=24)
MAX_FARE_USD = 1000.0
REASONS = (  # first failing rule wins, in this order
    "missing_timestamp",
    "missing_zone",
    "unknown_zone",
    "negative_amount",
    "nan_amount",
    "dropoff_before_pickup",
    "pickup_outside_month",
    "absurd_distance",
    "absurd_duration",
    "absurd_fare",
)
AMOUNTS = ("fare_amount", "extra", "mta_tax", "tip_amount", "tolls_amount", "improvement_surcharge", "total_amount")
OPTIONAL_AMOUNTS = ("congestion_surcharge", "airport_fee", "cbd_congestion_fee")
INT_FIELDS = ("vendor_id", "passenger_count", "ratecode_id", "payment_type", "trip_type")
RENAMES = {
    "VendorID": "vendor_id",
    "tpep_pickup_datetime": "pickup_ts",
    "tpep_dropoff_datetime": "dropoff_ts",
    "lpep_pickup_datetime": "pickup_ts",
    "lpep_dropoff_datetime": "dropoff_ts",
    "RatecodeID": "ratecode_id",
    "PULocationID": "pu_location_id",
    "DOLocationID": "do_location_id",
    "Airport_fee": "airport_fee",
}
# what validate() needs of every row: a file without one of these cannot give a single usable trip
REQUIRED = ("pickup_ts", "dropoff_ts", "pu_location_id", "do_location_id", "trip_distance", *AMOUNTS)
COLUMNS = (  # the Avro v2 field order; v1 is the same without trip_type
    "trip_id",
    "service",
    "vendor_id",
    "pickup_ts",
    "dropoff_ts",
    "passenger_count",
    "trip_distance",
    "ratecode_id",
    "store_and_fwd_flag",
    "pu_location_id",
    "do_location_id",
    "payment_type",
    *AMOUNTS,
    *OPTIONAL_AMOUNTS,
    "trip_type",
)


def file_name(service: str, month: str) -> str:
    """The official TLC file name, e.g. ``yellow_tripdata_2021-01.parquet``.

    >>> file_name("green", "2024-01")
    'green_tripdata_2024-01.parquet'
    """
    if service not in config.TLC_SERVICES:
        raise DataError(f"unknown service {service!r}: choose one of {', '.join(config.TLC_SERVICES)}")
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month or ""):
        raise DataError(f"month must look like YYYY-MM (e.g. 2021-01), got {month!r}")
    return f"{service}_tripdata_{month}.parquet"


def _fetch(rel_path: str, base_url: str | None) -> Path:
    """A local path for `rel_path` under the base URL: file:// is read in place, http(s) is cached."""
    base = (base_url or config.tlc_base_url()).rstrip("/")
    scheme = urllib.parse.urlparse(base).scheme
    if scheme == "file":
        root = Path(urllib.parse.unquote(urllib.parse.urlparse(base).path))
        path = root / rel_path
        if not path.is_file():
            folder = path.parent
            found = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
            have = ", ".join(found) if found else f"nothing ({folder} does not exist)"
            raise DataError(f"{rel_path} is not under {base}. Available there: {have}")
        return path
    if scheme not in ("http", "https"):
        raise DataError(f"unsupported TLC base URL {base!r}: use file://…, http://… or https://…")
    target = config.data_dir() / rel_path
    if target.is_file():
        return target
    url = f"{base}/{rel_path}"
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as resp:
            from tqdm import tqdm

            size = int(resp.headers.get("Content-Length") or 0) or None
            with tqdm(total=size, unit="B", unit_scale=True, desc=target.name, leave=False) as bar:
                while chunk := resp.read(1 << 20):
                    out.write(chunk)
                    bar.update(len(chunk))
        os.replace(tmp, target)  # atomic: a cancelled download never leaves a half file behind
    except urllib.error.HTTPError as exc:
        hint = " (the TLC site answers 403 for months it has not published)" if exc.code in (403, 404) else ""
        raise DataError(f"cannot download {url}: HTTP {exc.code} {exc.reason}{hint}") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise DataError(f"cannot download {url}: {exc}") from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def download(service: str, month: str, base_url: str | None = None) -> Path:
    """Local path of one TLC monthly trip file (downloaded into config.data_dir() once for http/https).

    Parameters
    ----------
    service : "yellow" or "green"
    month : "YYYY-MM"
    base_url : a base with the official layout; default config.tlc_base_url() (env LAB_TLC_BASE_URL)
    """
    path = _fetch(f"trip-data/{file_name(service, month)}", base_url)
    with open(path, "rb") as fh:
        head = fh.read(4)
        fh.seek(max(0, path.stat().st_size - 4))
        tail = fh.read(4)
    if head != b"PAR1" or tail != b"PAR1" or path.stat().st_size < 8:
        raise DataError(
            f"{path} is not a Parquet file (no PAR1 magic at both ends); "
            "if it is a cached download, delete it and download again"
        )
    return path


def zones(base_url: str | None = None) -> pd.DataFrame:
    """The taxi zone lookup (LocationID, Borough, Zone, service_zone); "N/A" stays a string."""
    path = _fetch(ZONES_PATH, base_url)
    try:
        return pd.read_csv(path, keep_default_na=False, dtype={"LocationID": "int64"})
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"cannot read the zone lookup {path}: {exc}") from exc


def load(service: str, month: str, base_url: str | None = None, limit: int | None = None) -> pd.DataFrame:
    """One month of trips with the Avro field names; the index is the row number in the source file.

    Yellow ``tpep_*`` and green ``lpep_*`` timestamps become ``pickup_ts``/``dropoff_ts``; columns a
    release lacks (``airport_fee`` before 2022, ``trip_type`` for yellow …) are null.
    """
    path = download(service, month, base_url)
    try:
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        if limit is not None:
            table = table.slice(0, limit)
        raw = table.to_pandas()
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many types for a broken file
        raise DataError(f"cannot read {path} as Parquet: {exc}") from exc
    df = raw.rename(columns={k: v for k, v in RENAMES.items() if k in raw.columns})
    _check_columns(df, raw, path, service)
    out = pd.DataFrame(index=pd.RangeIndex(len(df), name="row"))
    out["trip_id"] = f"{service}-{month}-" + out.index.astype(str)
    out["service"] = service
    for col in COLUMNS[2:]:
        values = df[col] if col in df.columns else pd.Series(pd.NA, index=out.index)
        if col == "store_and_fwd_flag":
            out[col] = values.astype("object").where(values.notna(), None)
        else:
            out[col] = _parse_column(values, col, path)
    out.attrs.update(service=service, month=month, source=path.name, base_url=base_url)
    return out


def typed(records: pd.DataFrame, timestamp_unit: str | None = None) -> pd.DataFrame:
    """Decoded trip records (Avro dicts as a DataFrame) with the column types `load` gives, ready for `validate`.

    Timestamps are datetimes (time zone dropped, as UTC) or, with `timestamp_unit="us"`, epoch micro-seconds;
    one beyond pandas' years 1677-2262 becomes NaT (rejected as missing_timestamp). Missing amount columns
    (an older schema) are NaN.
    """
    out = records.copy()
    for col in ("pickup_ts", "dropoff_ts"):
        if timestamp_unit:
            out[col] = pd.to_datetime(out[col], unit=timestamp_unit, errors="coerce")
        else:
            out[col] = pd.to_datetime(out[col], utc=True).dt.tz_localize(None).astype("datetime64[us]")
    for col in ("pu_location_id", "do_location_id", *INT_FIELDS):
        if col in out:
            out[col] = pd.to_numeric(out[col]).astype("Int64")
    for col in ("trip_distance", *AMOUNTS, *OPTIONAL_AMOUNTS):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64") if col in out else np.nan
    return out


def _source_name(col: str, service: str) -> str:
    """The TLC column name behind one of ours (``pickup_ts`` → ``tpep_pickup_datetime`` for yellow)."""
    other = "lpep" if service == "yellow" else "tpep"
    return next((k for k, v in RENAMES.items() if v == col and not k.startswith(other)), col)


def _check_columns(df: pd.DataFrame, raw: pd.DataFrame, path: Path, service: str) -> None:
    """DataError naming the file and the TLC columns it lacks (every row would be unusable without them)."""
    missing = [_source_name(c, service) for c in REQUIRED if c not in df.columns]
    if not missing:
        return
    what = (
        "not a TLC trip file" if len(missing) == len(REQUIRED) else f"missing required column(s) {', '.join(missing)}"
    )
    raise DataError(
        f"{path.name} ({path}): {what}; it has {', '.join(map(str, raw.columns)) or 'no columns'}. "
        f"A {service} trip file needs {', '.join(_source_name(c, service) for c in REQUIRED)}: "
        "check the file, or the service and month you asked for"
    )


def _parse_column(values: pd.Series, col: str, path: Path) -> pd.Series:
    """One column as its lab type; text is parsed (a file may store amounts as strings), garbage is a DataError."""
    as_time = col in ("pickup_ts", "dropoff_ts")
    kind = "timestamps" if as_time else "numbers"
    parsed = pd.to_datetime(values, errors="coerce") if as_time else pd.to_numeric(values, errors="coerce")
    bad = values.notna() & parsed.isna()
    if bad.any():
        examples = ", ".join(repr(v) for v in values[bad].head(3))
        raise DataError(
            f"{path.name} ({path}): column {col} has {int(bad.sum())} values that are not {kind} "
            f"(first: {examples}); fix or drop those rows"
        )
    try:
        if col in INT_FIELDS or col in ("pu_location_id", "do_location_id"):
            return parsed.astype("Int64")
        return parsed.astype("datetime64[us]" if as_time else "float64")
    except (TypeError, ValueError, OverflowError) as exc:
        raise DataError(f"{path.name} ({path}): column {col} cannot be read as {kind}: {exc}") from exc


def _month_bounds(month: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    start = pd.Timestamp(f"{month}-01")
    return start, start + pd.offsets.MonthBegin(1)


def validate(df: pd.DataFrame, month: str, zone_ids=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split trips into (accepted, rejected); rejected gets `reason` and `reason_detail`.

    Zone ids come from the lookup next to the trips (`df.attrs["base_url"]`) unless `zone_ids` is given.

    Rules in order, the first failing one wins: see REASONS. Nothing is lost:
    ``len(accepted) + len(rejected) == len(df)``.
    """
    ids = set(zones(df.attrs.get("base_url"))["LocationID"]) if zone_ids is None else set(zone_ids)
    pu, do = df["pickup_ts"], df["dropoff_ts"]
    numeric = ("trip_distance", *AMOUNTS)
    neg = pd.concat([(df[c] < 0) for c in (*numeric, *OPTIONAL_AMOUNTS)], axis=1).fillna(False)
    nan = df[list(numeric)].isna()
    start, end = _month_bounds(month)
    with np.errstate(invalid="ignore"):
        rules = {
            "missing_timestamp": pu.isna() | do.isna(),
            "missing_zone": df["pu_location_id"].isna() | df["do_location_id"].isna(),
            "unknown_zone": ~df["pu_location_id"].isin(ids) | ~df["do_location_id"].isin(ids),
            "negative_amount": neg.any(axis=1),
            "nan_amount": nan.any(axis=1),
            "dropoff_before_pickup": do < pu,
            "pickup_outside_month": (pu < start) | (pu >= end),
            "absurd_distance": df["trip_distance"] > MAX_DISTANCE_MI,
            "absurd_duration": (do - pu) > MAX_DURATION,
            "absurd_fare": df["fare_amount"] > MAX_FARE_USD,
        }
    assert tuple(rules) == REASONS
    reason = pd.Series(None, index=df.index, dtype="object")
    for name, failed in rules.items():
        reason = reason.mask(reason.isna() & failed.fillna(False).astype(bool), name)
    bad = reason.notna()
    accepted, rejected = df[~bad].copy(), df[bad].copy()
    rejected["reason"] = reason[bad]
    rejected["reason_detail"] = [
        _detail(row, why, neg.columns, numeric, start, end) for (_, row), why in zip(rejected.iterrows(), reason[bad])
    ]
    assert len(accepted) + len(rejected) == len(df), "validation lost rows"
    accepted.attrs, rejected.attrs = dict(df.attrs), dict(df.attrs)
    return accepted, rejected


def validate_by_month(df: pd.DataFrame, zone_ids=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """validate() for trips of any months (a topic, a stream): each pickup month is checked against itself.

    So `pickup_outside_month` cannot apply; every other rule is validate's, in the same order.
    Trips without a pickup time are checked as 1970-01 (and rejected as missing_timestamp).
    """
    pickup = df["pickup_ts"]
    month = (pickup.dt.year * 100 + pickup.dt.month).fillna(197001).astype("int64")  # no strftime per row
    parts = [
        validate(part, f"{m // 100:04d}-{m % 100:02d}", zone_ids=zone_ids) for m, part in df.groupby(month, sort=False)
    ]
    if not parts:
        return validate(df, "1970-01", zone_ids=zone_ids)
    return pd.concat([a for a, _ in parts]), pd.concat([r for _, r in parts])


def _detail(row: pd.Series, reason: str, amount_cols, numeric, start, end) -> str:
    """Human text for one rejected row."""
    pu, do = row["pickup_ts"], row["dropoff_ts"]
    if reason == "missing_timestamp":
        return f"pickup_ts={pu}, dropoff_ts={do}"
    if reason == "missing_zone":
        return f"pu_location_id={row['pu_location_id']}, do_location_id={row['do_location_id']} (no zone given)"
    if reason == "unknown_zone":
        return (
            f"pu_location_id={row['pu_location_id']}, do_location_id={row['do_location_id']} (not in the zone lookup)"
        )
    if reason == "negative_amount":
        return ", ".join(f"{c}={row[c]}" for c in amount_cols if pd.notna(row[c]) and row[c] < 0) + " < 0"
    if reason == "nan_amount":
        return ", ".join(f"{c} is missing" for c in numeric if pd.isna(row[c]))
    if reason == "dropoff_before_pickup":
        return f"dropoff_ts {do} is before pickup_ts {pu}"
    if reason == "pickup_outside_month":
        return f"pickup_ts {pu} is outside [{start.date()}, {end.date()})"
    if reason == "absurd_distance":
        return f"trip_distance={row['trip_distance']} mi > {MAX_DISTANCE_MI:g}"
    if reason == "absurd_duration":
        return f"trip lasted {do - pu} > {MAX_DURATION}"
    return f"fare_amount={row['fare_amount']} USD > {MAX_FARE_USD:g}"


def replay_times(df: pd.DataFrame, speedup: float, start: datetime | pd.Timestamp | None = None) -> pd.DataFrame:
    """Shift pickups so the data replays "as if now" at `speedup`× speed; trip durations stay real.

    ``pickup' = start + (pickup - first pickup) / speedup`` and ``dropoff' = pickup' + duration``.
    `start` defaults to the current UTC wall-clock time (naive, like the TLC timestamps).
    """
    if speedup <= 0:
        raise DataError(f"speedup must be > 0, got {speedup}")
    out = df.copy()
    t0 = df["pickup_ts"].min()
    begin = pd.Timestamp(start) if start is not None else pd.Timestamp.now(tz="UTC").tz_localize(None)
    duration = df["dropoff_ts"] - df["pickup_ts"]
    out["pickup_ts"] = (begin + (df["pickup_ts"] - t0) / speedup).astype("datetime64[us]")
    out["dropoff_ts"] = (out["pickup_ts"] + duration).astype("datetime64[us]")
    return out


def scale_up(df: pd.DataFrame, n: int) -> pd.DataFrame:
    """SYNTHETIC data: `n` copies of `df`, copy k shifted k × (time span + 1 s) later, trip_id "<id>-s<k>".

    Copy 0 is the original. Use it only for load tests and benchmarks, never for results.
    """
    if n < 1:
        raise DataError(f"scale must be >= 1, got {n}")
    if n == 1 or df.empty:
        return df
    span = (df["pickup_ts"].max() - df["pickup_ts"].min()) + pd.Timedelta(seconds=1)
    copies = []
    for k in range(n):
        c = df.copy()
        if k:
            c["trip_id"] = c["trip_id"] + f"-s{k}"
            c["pickup_ts"] = c["pickup_ts"] + k * span
            c["dropoff_ts"] = c["dropoff_ts"] + k * span
        copies.append(c)
    out = pd.concat(copies, ignore_index=False)
    out.attrs = dict(df.attrs, synthetic_scale=n)
    return out
