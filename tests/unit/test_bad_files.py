"""Bad TLC files (truncated, corrupt, empty, columns missing, renamed, extra or of another era, wrong types, a missing
month on file and over HTTP): each is read correctly or is a DataError naming the file and what to do, and every bad
row goes to the rejected side with a reason. Real broken files built from the real samples; no service needed."""

from __future__ import annotations

import http.server
import shutil
import threading
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lab import config
from lab.errors import DataError
from lab.pipeline import data


def zone_lookup() -> Path:
    """The real zone lookup from LAB_TLC_BASE_URL (tests/conftest.py points it at the shared samples)."""
    data.zones()
    return data.download("yellow", "2021-01").parent.parent / data.ZONES_PATH


@pytest.fixture
def tlc(tmp_path) -> Path:
    """A TLC tree in tmp (the zone lookup copied, trip-data empty); write bad files into it with `put`."""
    root = tmp_path / "tlc"
    (root / "misc").mkdir(parents=True)
    (root / "trip-data").mkdir()
    shutil.copy(zone_lookup(), root / data.ZONES_PATH)
    return root


def sample(service: str = "yellow", month: str = "2021-01") -> pa.Table:
    """A real sample file, as pyarrow reads it."""
    return pq.read_table(data.download(service, month))


def put(root: Path, table: pa.Table | bytes, service: str = "yellow", month: str = "2021-01") -> Path:
    """Write `table` (or raw bytes) as the TLC file of service/month under `root`."""
    path = root / "trip-data" / data.file_name(service, month)
    if isinstance(table, bytes):
        path.write_bytes(table)
    else:
        pq.write_table(table, path)
    return path


def accounted(df: pd.DataFrame, month: str, rows: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """validate() the frame and check that every row read is either accepted or rejected (with a reason)."""
    accepted, rejected = data.validate(df, month)
    assert len(df) == rows
    assert len(accepted) + len(rejected) == rows
    assert set(accepted.index).isdisjoint(rejected.index)
    assert rejected["reason"].notna().all() and all(len(d) > 0 for d in rejected["reason_detail"])
    return accepted, rejected


def test_truncated_parquet_is_a_data_error_naming_the_file(tlc):
    whole = data.download("yellow", "2021-01").read_bytes()
    path = put(tlc, whole[: len(whole) // 2])
    with pytest.raises(DataError, match=f"{path}.*not a Parquet file"):
        data.load("yellow", "2021-01", base_url=tlc.as_uri())
    # cut short, but with the magic bytes put back at the end: the footer is garbage
    put(tlc, whole[: len(whole) // 2] + b"PAR1")
    with pytest.raises(DataError, match=f"cannot read {path} as Parquet"):
        data.load("yellow", "2021-01", base_url=tlc.as_uri())


def test_corrupt_parquet_is_a_data_error_naming_the_file(tlc):
    whole = bytearray(data.download("yellow", "2021-01").read_bytes())
    for i in range(1000, len(whole) // 2, 97):  # scribble over the column chunks, keep header and footer
        whole[i] ^= 0x5A
    path = put(tlc, bytes(whole))
    with pytest.raises(DataError, match=f"cannot read {path} as Parquet"):
        data.load("yellow", "2021-01", base_url=tlc.as_uri())


def test_an_empty_file_and_a_file_without_rows(tlc):
    path = put(tlc, b"")
    with pytest.raises(DataError, match=f"{path}.*not a Parquet file"):
        data.load("yellow", "2021-01", base_url=tlc.as_uri())
    put(tlc, sample().slice(0, 0))  # a real header, no rows: read correctly, nothing to account for
    df = data.load("yellow", "2021-01", base_url=tlc.as_uri())
    assert list(df.columns) == list(data.COLUMNS)
    accounted(df, "2021-01", 0)


@pytest.mark.parametrize("column", ["PULocationID", "tpep_pickup_datetime", "fare_amount", "trip_distance"])
def test_a_missing_required_column_is_a_data_error_naming_it(tlc, column):
    table = sample()
    path = put(tlc, table.drop_columns([column]))
    with pytest.raises(DataError, match=f"{path.name}.*{column}"):
        data.load("yellow", "2021-01", base_url=tlc.as_uri())


def test_a_renamed_column_is_a_data_error_naming_it(tlc):
    table = sample()
    names = ["pickup_datetime" if n == "tpep_pickup_datetime" else n for n in table.column_names]
    path = put(tlc, table.rename_columns(names))
    with pytest.raises(DataError, match=f"{path.name}.*tpep_pickup_datetime"):
        data.load("yellow", "2021-01", base_url=tlc.as_uri())


def test_a_non_tlc_parquet_is_a_data_error(tlc):
    path = put(tlc, pa.table({"city": ["Paris", "Lyon"], "population": [2_100_000, 520_000]}))
    with pytest.raises(DataError, match=f"{path.name}.*not a TLC trip file"):
        data.load("yellow", "2021-01", base_url=tlc.as_uri())


def test_extra_columns_are_ignored_and_every_row_is_read(tlc):
    table = sample()
    table = table.append_column("shoe_size", pa.array(range(table.num_rows))).append_column(
        "ehail_fee", pa.array([1.0] * table.num_rows)
    )
    put(tlc, table)
    df = data.load("yellow", "2021-01", base_url=tlc.as_uri())
    assert list(df.columns) == list(data.COLUMNS)
    reference = data.load("yellow", "2021-01")
    pd.testing.assert_frame_equal(df, reference, check_like=False)
    accounted(df, "2021-01", table.num_rows)


@pytest.mark.parametrize(
    "service,month,drop,absent",
    [
        # yellow before 2019 had no congestion_surcharge, before 2022 no airport_fee (our 2021 sample lacks it)
        ("yellow", "2021-01", ["congestion_surcharge"], ["congestion_surcharge", "airport_fee", "cbd_congestion_fee"]),
        ("yellow", "2025-01", [], []),  # the newest set: Airport_fee, cbd_congestion_fee
        ("yellow", "2025-01", ["cbd_congestion_fee"], ["cbd_congestion_fee"]),  # 2022-2024
        ("green", "2024-01", [], ["airport_fee", "cbd_congestion_fee"]),  # green: lpep_*, trip_type, ehail_fee
    ],
)
def test_older_and_newer_column_sets_are_read_correctly(tlc, service, month, drop, absent):
    table = sample(service, month)
    put(tlc, table.drop_columns(drop), service, month)
    df = data.load(service, month, base_url=tlc.as_uri())
    src = table.to_pandas()
    for col in absent:
        assert df[col].isna().all(), col
    for col in set(data.OPTIONAL_AMOUNTS) - set(absent):
        source = "Airport_fee" if col == "airport_fee" else col
        assert (df[col].fillna(-1).to_numpy() == src[source].fillna(-1).to_numpy()).all(), col
    prefix = "tpep" if service == "yellow" else "lpep"
    assert (df["pickup_ts"].to_numpy() == src[f"{prefix}_pickup_datetime"].to_numpy()).all()
    accepted, rejected = accounted(df, month, table.num_rows)
    assert len(accepted) > 0.9 * table.num_rows


def test_string_amounts_are_parsed_and_garbage_is_a_data_error(tlc):
    table = sample()
    as_text = pa.array([None if v is None else repr(v) for v in table.column("fare_amount").to_pylist()], pa.string())
    i = table.column_names.index("fare_amount")
    put(tlc, table.set_column(i, "fare_amount", as_text))
    df = data.load("yellow", "2021-01", base_url=tlc.as_uri())
    pd.testing.assert_series_equal(df["fare_amount"], data.load("yellow", "2021-01")["fare_amount"])
    accounted(df, "2021-01", table.num_rows)

    garbage = as_text.to_pylist()
    garbage[5], garbage[9] = "12,50", "twelve"
    path = put(tlc, table.set_column(i, "fare_amount", pa.array(garbage, pa.string())))
    with pytest.raises(DataError, match=f"{path.name}.*fare_amount.*2 values.*'12,50'"):
        data.load("yellow", "2021-01", base_url=tlc.as_uri())


def test_string_counts_and_timestamps_are_parsed(tlc):
    table = sample("green", "2024-01")
    for col in ("passenger_count", "lpep_pickup_datetime"):
        i = table.column_names.index(col)
        text = pa.array([None if v is None else str(v) for v in table.column(col).to_pylist()], pa.string())
        table = table.set_column(i, col, text)
    put(tlc, table, "green", "2024-01")
    df = data.load("green", "2024-01", base_url=tlc.as_uri())
    reference = data.load("green", "2024-01")
    pd.testing.assert_series_equal(df["passenger_count"], reference["passenger_count"])
    pd.testing.assert_series_equal(df["pickup_ts"], reference["pickup_ts"])


def test_bad_rows_go_to_the_rejected_side_with_a_reason(tlc):
    """Rows a file carries but the pipeline cannot use: each rejected with its reason, none lost."""
    table = sample().slice(0, 200)
    src = table.to_pandas()
    src.loc[0, "PULocationID"] = 999
    src.loc[1, "fare_amount"] = -3.0
    src.loc[2, "tpep_dropoff_datetime"] = pd.NaT
    src.loc[3, "total_amount"] = float("nan")
    put(tlc, pa.Table.from_pandas(src, preserve_index=False))
    df = data.load("yellow", "2021-01", base_url=tlc.as_uri())
    accepted, rejected = accounted(df, "2021-01", 200)
    assert rejected["reason"].reindex([0, 1, 2, 3]).tolist() == [
        "unknown_zone",
        "negative_amount",
        "missing_timestamp",
        "nan_amount",
    ]


def test_a_missing_month_is_a_data_error_on_file_and_http(tlc, tmp_path, monkeypatch):
    with pytest.raises(DataError, match=r"trip-data/yellow_tripdata_2019-05\.parquet is not under"):
        data.load("yellow", "2019-05", base_url=tlc.as_uri())
    handler = lambda *a, **kw: http.server.SimpleHTTPRequestHandler(*a, directory=str(tlc), **kw)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.RequestHandlerClass.log_message = lambda *a: None
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("LAB_DATA_DIR", str(tmp_path / "cache"))
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with pytest.raises(DataError, match=rf"{base}/trip-data/yellow_tripdata_2019-05\.parquet: HTTP 404"):
            data.load("yellow", "2019-05", base_url=base)
        assert not any(config.data_dir().rglob("*.parquet*")), "no half file left in the cache"
    finally:
        server.shutdown()
