"""Unit tests of consumer-side decoding (no services): Confluent frames built with fastavro by hand."""

from __future__ import annotations

import io
import json
import struct

import fastavro
import pandas as pd
import pytest

from lab.pipeline import data, decode

AVRO = decode.READER_SCHEMA.parent
V1 = json.loads((AVRO / "taxi_trip.avsc").read_text())
V2 = json.loads((AVRO / "taxi_trip_v2.avsc").read_text())


def trip(**over) -> dict:
    rec = {
        "trip_id": "yellow-2021-01-7",
        "service": "yellow",
        "vendor_id": 2,
        "pickup_ts": pd.Timestamp("2021-01-01 00:10:00").to_pydatetime(),
        "dropoff_ts": pd.Timestamp("2021-01-01 00:25:00").to_pydatetime(),
        "passenger_count": 1,
        "trip_distance": 3.2,
        "ratecode_id": 1,
        "store_and_fwd_flag": "N",
        "pu_location_id": 142,
        "do_location_id": 236,
        "payment_type": 1,
        "fare_amount": 12.5,
        "extra": 0.5,
        "mta_tax": 0.5,
        "tip_amount": 2.0,
        "tolls_amount": 0.0,
        "improvement_surcharge": 0.3,
        "total_amount": 18.3,
        "congestion_surcharge": 2.5,
        "airport_fee": None,
        "cbd_congestion_fee": None,
    }
    rec.update(over)
    return rec


def frame(rec: dict, schema: dict, schema_id: int) -> bytes:
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, fastavro.parse_schema(schema, named_schemas={}), rec)
    return struct.pack(">bI", 0, schema_id) + buf.getvalue()


WRITERS = {1: decode.raw_schema(V1), 2: decode.raw_schema(V2)}
lookup = WRITERS.get
ZONES = set(range(1, 266))


def test_v1_record_decodes_with_timestamps_as_micros():
    out = decode.decode_values([frame(trip(), V1, 1)], lookup)
    row = out.iloc[0]
    assert row["reason"] is None and row["schema_id"] == 1
    assert row["pickup_ts"] == pd.Timestamp("2021-01-01 00:10:00").value // 1000
    assert row["fare_amount"] == 12.5 and row["pu_location_id"] == 142


def test_v2_record_resolves_to_the_v1_reader():
    out = decode.decode_values([frame({**trip(trip_id="v2"), "trip_type": 1}, V2, 2)], lookup)
    assert out.loc[0, "reason"] is None and out.loc[0, "trip_id"] == "v2"
    assert "trip_type" not in out.columns


@pytest.mark.parametrize(
    "value, reason",
    [
        (b"", "too_short"),
        (b"\x00\x00", "too_short"),
        (b"hello world, not avro", "bad_magic"),
        (struct.pack(">bI", 0, 999) + b"\x02", "unknown_schema_id"),
        (struct.pack(">bI", 0, 1) + b"\xff\xff\xff", "undecodable"),
    ],
)
def test_bad_values_get_a_reason(value, reason):
    out = decode.decode_values([value], lookup)
    assert out.loc[0, "reason"] == reason, out.loc[0, "detail"]
    assert out.loc[0, "detail"]


def test_trailing_bytes_are_undecodable():
    out = decode.decode_values([frame(trip(), V1, 1) + b"\x00\x01"], lookup)
    assert out.loc[0, "reason"] == "undecodable" and "trailing" in out.loc[0, "detail"]


def test_a_v2_body_under_the_v1_id_is_not_silently_accepted():
    # the writer id lies: the body has one more field, so decoding under v1 leaves bytes over
    out = decode.decode_values([frame({**trip(), "trip_type": 1}, V2, 1)], lookup)
    assert out.loc[0, "reason"] == "undecodable"


def test_good_and_bad_records_keep_their_order():
    values = [frame(trip(trip_id="a"), V1, 1), b"junk bytes", frame(trip(trip_id="c"), V1, 1)]
    out = decode.decode_values(values, lookup)
    assert list(out["trip_id"].fillna("-")) == ["a", "-", "c"]
    assert list(out["reason"].fillna("ok")) == ["ok", "bad_magic", "ok"]


@pytest.mark.parametrize(
    "over, reason",
    [
        ({"pu_location_id": 999}, "unknown_zone"),
        ({"fare_amount": -3.0}, "negative_amount"),
        ({"fare_amount": float("nan")}, "nan_amount"),
        ({"dropoff_ts": pd.Timestamp("2021-01-01 00:00:00").to_pydatetime()}, "dropoff_before_pickup"),
        ({"trip_distance": 500.0}, "absurd_distance"),
        ({"fare_amount": 5000.0}, "absurd_fare"),
    ],
)
def test_validation_uses_the_producer_rules(over, reason):
    out = decode.validate(decode.decode_values([frame(trip(), V1, 1), frame(trip(**over), V1, 1)], lookup), ZONES)
    assert out.loc[0, "reason"] is None
    assert out.loc[1, "reason"] == reason and out.loc[1, "detail"]
    assert reason in data.REASONS


def test_validation_accepts_every_month():
    # a stream has no "month": pickups in December and January are both fine
    recs = [trip(pickup_ts=pd.Timestamp("2020-12-31 23:59:00").to_pydatetime()), trip()]
    out = decode.validate(decode.decode_values([frame(r, V1, 1) for r in recs], lookup), ZONES)
    assert out["reason"].isna().all()


def test_decode_batches_shapes_rows_for_spark():
    values = [frame(trip(), V1, 1), b"junk bytes"]
    pdf = pd.DataFrame({"value": values, "topic": "t", "partition": [0, 1], "offset": [5, 6], "kafka_us": [1, 2]})
    decode._writers.update({("mock://", 1): WRITERS[1]})
    (out,) = list(decode.decode_batches(iter([pdf]), "mock://", ZONES))
    names = [c.split()[0] for c in decode.SPARK_SCHEMA.split(", ")]
    assert list(out.columns) == names
    assert out.loc[0, "value"] is None and out.loc[1, "value"] == b"junk bytes"
    assert out.loc[1, "reason"] == "bad_magic" and out.loc[1, "kafka_offset"] == 6


def test_a_timestamp_beyond_pandas_range_is_quarantined_not_a_crash():
    raw = decode.raw_schema(V1)  # timestamps as plain longs: write one far beyond the year 2262
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, raw, {**trip(), "pickup_ts": 2**62, "dropoff_ts": 2**62 + 60_000_000})
    out = decode.validate(decode.decode_values([struct.pack(">bI", 0, 1) + buf.getvalue()], lookup), ZONES)
    assert out.loc[0, "reason"] == "missing_timestamp"
