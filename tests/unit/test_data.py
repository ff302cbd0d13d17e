"""lab.data against the shared TLC samples: names, loading, validation rules, replay and scale-up (no services)."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lab import config
from lab.errors import DataError
from lab.pipeline import data

SAMPLES = [("yellow", "2021-01"), ("yellow", "2025-01"), ("green", "2024-01")]


def raw(service: str, month: str) -> pd.DataFrame:
    """The sample file exactly as pandas reads it (the independent reference)."""
    return pd.read_parquet(data.download(service, month))


@pytest.mark.parametrize("service,month", SAMPLES)
def test_load_renames_and_keeps_every_row(service, month):
    """Fails when rows are dropped, reordered, or a value changes on the way to the Avro field names."""
    src, df = raw(service, month), data.load(service, month)
    prefix = "tpep" if service == "yellow" else "lpep"
    assert len(df) == len(src) and list(df.index) == list(range(len(src)))
    assert list(df.columns) == list(data.COLUMNS)
    assert (df["pickup_ts"].to_numpy() == src[f"{prefix}_pickup_datetime"].to_numpy()).all()
    assert (df["pu_location_id"].to_numpy() == src["PULocationID"].to_numpy()).all()
    np.testing.assert_array_equal(df["fare_amount"].to_numpy(), src["fare_amount"].to_numpy())
    assert df["trip_id"].iloc[7] == f"{service}-{month}-7"
    assert (df["service"] == service).all()
    # columns the release lacks are null, columns it has are carried over
    if "Airport_fee" in src.columns:
        np.testing.assert_array_equal(df["airport_fee"].to_numpy(), src["Airport_fee"].to_numpy())
    else:
        assert df["airport_fee"].isna().all()
    if "trip_type" in src.columns:
        assert df["trip_type"].isna().sum() == src["trip_type"].isna().sum()
    else:
        assert df["trip_type"].isna().all()


def test_load_limit_and_attrs():
    df = data.load("yellow", "2021-01", limit=100)
    assert len(df) == 100
    assert df.attrs["source"] == "yellow_tripdata_2021-01.parquet"


def test_zones_keep_the_literal_na():
    z = data.zones()
    assert len(z) == 265 and z["LocationID"].is_unique
    assert z.loc[z["LocationID"] == 265, "Borough"].item() == "N/A"
    assert z["Borough"].isna().sum() == 0


def expected_reasons(df: pd.DataFrame, month: str, ids: set) -> pd.Series:
    """The contract's rules written out again, row by row, first failing rule wins (slow but obvious)."""
    start = pd.Timestamp(f"{month}-01")
    end = start + pd.DateOffset(months=1)
    money = ["fare_amount", "extra", "mta_tax", "tip_amount", "tolls_amount", "improvement_surcharge", "total_amount"]
    optional = ["congestion_surcharge", "airport_fee", "cbd_congestion_fee"]
    out = {}
    for idx, r in df.iterrows():
        pu, do = r["pickup_ts"], r["dropoff_ts"]
        if pd.isna(pu) or pd.isna(do):
            why = "missing_timestamp"
        elif pd.isna(r["pu_location_id"]) or pd.isna(r["do_location_id"]):
            why = "missing_zone"
        elif r["pu_location_id"] not in ids or r["do_location_id"] not in ids:
            why = "unknown_zone"
        elif any(pd.notna(r[c]) and r[c] < 0 for c in ["trip_distance", *money, *optional]):
            why = "negative_amount"
        elif any(pd.isna(r[c]) for c in ["trip_distance", *money]):
            why = "nan_amount"
        elif do < pu:
            why = "dropoff_before_pickup"
        elif not (start <= pu < end):
            why = "pickup_outside_month"
        elif r["trip_distance"] > 200:
            why = "absurd_distance"
        elif do - pu > pd.Timedelta(hours=24):
            why = "absurd_duration"
        elif r["fare_amount"] > 1000:
            why = "absurd_fare"
        else:
            continue
        out[idx] = why
    return pd.Series(out, dtype="object")


@pytest.mark.parametrize("service,month", SAMPLES)
def test_validate_matches_the_rules_and_loses_nothing(service, month):
    """Fails when a row is lost, duplicated, or gets a different reason than the written-out rules give."""
    df = data.load(service, month)
    accepted, rejected = data.validate(df, month)
    assert len(accepted) + len(rejected) == len(df)
    assert set(accepted.index).isdisjoint(rejected.index)
    assert sorted([*accepted.index, *rejected.index]) == list(df.index)
    want = expected_reasons(df, month, set(data.zones()["LocationID"]))
    pd.testing.assert_series_equal(
        rejected["reason"].sort_index(), want.sort_index(), check_names=False, check_index_type=False
    )
    assert rejected["reason_detail"].str.len().min() > 0
    assert set(rejected["reason"]) <= set(data.REASONS)


def test_validate_facts_from_the_data_readme():
    """The README says: 16 pickups outside January 2021, 229 negative fares; every negative fare is rejected."""
    src = raw("yellow", "2021-01")
    accepted, rejected = data.validate(data.load("yellow", "2021-01"), "2021-01")
    outside = src["tpep_pickup_datetime"] < "2021-01-01"
    negative = src["fare_amount"] < 0
    assert outside.sum() == 16 and negative.sum() == 229  # the README facts still hold for the file
    assert set(src.index[negative]) <= set(rejected.index)
    # pickups outside the month that are not already rejected for an earlier rule get that reason
    only_outside = outside & ~(
        src[
            [
                "fare_amount",
                "extra",
                "mta_tax",
                "tip_amount",
                "tolls_amount",
                "improvement_surcharge",
                "total_amount",
                "congestion_surcharge",
                "trip_distance",
            ]
        ]
        < 0
    ).any(axis=1)
    assert (rejected["reason"] == "pickup_outside_month").sum() == only_outside.sum()
    assert (accepted["fare_amount"] >= 0).all()


def test_validate_each_rule_on_crafted_rows():
    """One crafted row per rule, plus a row that breaks two rules (the earlier one must win)."""
    base = data.load("yellow", "2021-01", limit=1)
    good = base.iloc[0].copy()
    good["pickup_ts"] = pd.Timestamp("2021-01-05 10:00")
    good["dropoff_ts"] = pd.Timestamp("2021-01-05 10:20")
    rows = {
        "ok": {},
        "missing_timestamp": {"dropoff_ts": pd.NaT},
        "missing_zone": {"pu_location_id": pd.NA},
        "unknown_zone": {"pu_location_id": 999},
        "negative_amount": {"tip_amount": -1.0},
        "nan_amount": {"total_amount": np.nan},
        "dropoff_before_pickup": {"dropoff_ts": pd.Timestamp("2021-01-05 09:00")},
        "pickup_outside_month": {
            "pickup_ts": pd.Timestamp("2021-02-01 00:00"),
            "dropoff_ts": pd.Timestamp("2021-02-01 00:10"),
        },
        "absurd_distance": {"trip_distance": 250.0},
        "absurd_duration": {"dropoff_ts": pd.Timestamp("2021-01-06 10:00:01")},
        "absurd_fare": {"fare_amount": 1500.0},
        "two_rules": {"pu_location_id": 0, "fare_amount": -5.0},
    }
    frame = pd.DataFrame([{**good.to_dict(), **change} for change in rows.values()], index=range(len(rows)))
    frame = frame.astype(base.dtypes.to_dict())
    accepted, rejected = data.validate(frame, "2021-01")
    got = dict(zip(rejected.index, rejected["reason"]))
    names = list(rows)
    assert list(accepted.index) == [names.index("ok")]
    for i, name in enumerate(names[1:-1], start=1):
        assert got[i] == name, (name, rejected.loc[i, "reason_detail"])
    assert got[len(names) - 1] == "unknown_zone"


def test_a_null_zone_is_missing_not_unknown():
    """A row without a pickup or a dropoff zone has its own reason, whatever the other zone is."""
    base = data.load("yellow", "2021-01", limit=3)
    base["pickup_ts"], base["dropoff_ts"] = pd.Timestamp("2021-01-05 10:00"), pd.Timestamp("2021-01-05 10:20")
    base.loc[0, "pu_location_id"] = pd.NA
    base.loc[1, "do_location_id"] = pd.NA
    base.loc[2, ["pu_location_id", "do_location_id"]] = [pd.NA, 999]
    accepted, rejected = data.validate(base, "2021-01")
    assert accepted.empty and list(rejected["reason"]) == ["missing_zone"] * 3
    assert rejected["reason_detail"].str.contains("no zone given").all()


def test_replay_times_compresses_pickups_and_keeps_durations():
    df = data.load("yellow", "2021-01", limit=500)
    start = pd.Timestamp("2030-01-01 00:00")
    out = data.replay_times(df, speedup=60, start=start)
    assert out["pickup_ts"].min() == start
    span_in, span_out = (df["pickup_ts"].max() - df["pickup_ts"].min()), (out["pickup_ts"].max() - start)
    assert abs(span_out.total_seconds() * 60 - span_in.total_seconds()) < 1e-3 * 60
    pd.testing.assert_series_equal(out["dropoff_ts"] - out["pickup_ts"], df["dropoff_ts"] - df["pickup_ts"])
    assert (out["pickup_ts"].argsort().to_numpy() == df["pickup_ts"].argsort().to_numpy()).all()  # order kept
    with pytest.raises(DataError):
        data.replay_times(df, 0)


def test_scale_up_is_synthetic_and_distinct():
    df = data.load("yellow", "2021-01", limit=300)
    big = data.scale_up(df, 4)
    assert len(big) == 4 * len(df) and big["trip_id"].is_unique
    assert big.attrs["synthetic_scale"] == 4
    span = df["pickup_ts"].max() - df["pickup_ts"].min()
    assert big["pickup_ts"].max() - big["pickup_ts"].min() > 3 * span
    assert data.scale_up(df, 1) is df
    with pytest.raises(DataError):
        data.scale_up(df, 0)


def test_missing_month_lists_what_is_there():
    with pytest.raises(DataError, match="yellow_tripdata_2021-01.parquet"):
        data.download("yellow", "1999-01")


@pytest.mark.parametrize("service,month", [("blue", "2021-01"), ("yellow", "2021-1"), ("yellow", "2021-13")])
def test_bad_names(service, month):
    with pytest.raises(DataError):
        data.download(service, month)


def test_bad_base_urls(tmp_path):
    with pytest.raises(DataError, match="unsupported"):
        data.download("yellow", "2021-01", "ftp://example.org")
    with pytest.raises(DataError, match="cannot download"):
        data.download("yellow", "2021-01", "http://127.0.0.1:9")  # nothing listens on the discard port


def test_unreadable_parquet(tmp_path):
    bad = tmp_path / "trip-data" / "yellow_tripdata_2021-01.parquet"
    bad.parent.mkdir()
    bad.write_bytes(b"this is not parquet")
    with pytest.raises(DataError, match="not a Parquet file"):
        data.load("yellow", "2021-01", base_url=tmp_path.as_uri())


def test_http_download_is_cached_atomically(tmp_path, monkeypatch):
    """Serve the shared folder over HTTP: the file lands in data_dir() whole, and a 404 is a DataError."""
    root = Path(data.download("yellow", "2025-01")).parent.parent
    handler = lambda *a, **kw: http.server.SimpleHTTPRequestHandler(*a, directory=str(root), **kw)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.RequestHandlerClass.log_message = lambda *a: None
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("LAB_DATA_DIR", str(tmp_path / "cache"))
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        path = data.download("yellow", "2025-01", base)
        assert path == config.data_dir() / "trip-data" / "yellow_tripdata_2025-01.parquet"
        assert path.read_bytes() == (root / "trip-data" / "yellow_tripdata_2025-01.parquet").read_bytes()
        assert not list(path.parent.glob("*.part"))
        assert len(data.load("yellow", "2025-01", base)) == 1000
        with pytest.raises(DataError, match="HTTP 404"):
            data.download("green", "2019-05", base)
        assert not list(path.parent.glob("*.part"))
    finally:
        server.shutdown()
