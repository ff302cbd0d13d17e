"""The wire encoders and the producer's accounting without services (mock:// registry, librdkafka mock cluster)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from confluent_kafka.serialization import MessageField, SerializationContext

from lab.errors import ProduceError
from lab.pipeline import data, produce, schemas, wire


def frames(df: pd.DataFrame, schema: dict, schema_id: int) -> list[bytes]:
    out = wire.encode_frames(df, schema, schema_id)
    assert len(out) == len(df) and all(isinstance(m, bytes) for m in out)
    return out


@pytest.mark.parametrize(
    "service,month,name",
    [
        ("yellow", "2021-01", schemas.V1),
        ("yellow", "2025-01", schemas.V1),
        ("green", "2024-01", schemas.V1),
        ("green", "2024-01", schemas.V2),
    ],
)
def test_vectorised_frames_equal_the_avro_serializer(service, month, name):
    """Fails when one byte of the fast path differs from confluent-kafka's AvroSerializer (the reference)."""
    df = data.load(service, month)
    df = pd.concat([df.iloc[:1500], df.iloc[-1500:]])  # both ends: green has null flags/ints near the end
    url = f"mock://frames-{service}-{month}-{name}"
    ser = schemas.serializer(name, url=url)
    ctx = SerializationContext("trips", MessageField.VALUE)
    reference = [ser(row, ctx) for row in df.to_dict("records")]
    schema_id = wire.unframe(reference[0])[0]
    fast = frames(df, schemas.load(name), schema_id)
    mismatched = [i for i, (a, b) in enumerate(zip(reference, fast)) if a != b]
    assert not mismatched, (
        f"{len(mismatched)} differ, first row {mismatched[0]}: {reference[mismatched[0]].hex()} vs {fast[mismatched[0]].hex()}"
    )
    if service == "green":
        assert df["store_and_fwd_flag"].isna().any() and df["passenger_count"].isna().any()  # nulls were covered


def test_encoder_edge_values():
    """Negative, zero and large ints, non-ASCII and empty strings, nulls everywhere nullable, an empty frame."""
    schema = {
        "type": "record",
        "name": "Edge",
        "fields": [
            {"name": "i", "type": "long"},
            {"name": "s", "type": "string"},
            {"name": "n", "type": ["null", "int"], "default": None},
            {"name": "d", "type": ["double", "null"]},
            {"name": "t", "type": {"type": "long", "logicalType": "timestamp-micros"}},
            {"name": "ns", "type": ["null", "string"], "default": None},
        ],
    }
    df = pd.DataFrame(
        {
            "i": [0, -1, 1, 63, -64, 64, 2**40, -(2**62), 2**62],
            "s": ["", "é", "taxi", "x" * 300, "日本", "a", "b", "c", "d"],
            "n": pd.array([None, 0, -5, 2**31 - 1, None, 1, 2, 3, None], dtype="Int64"),
            "d": [np.nan, 0.0, -1.5, 1e300, np.nan, 2.0, 3.0, 4.0, 5.0],
            "t": pd.to_datetime(
                [
                    "1970-01-01",
                    "1969-12-31 23:59:59.999999",
                    "2021-01-01",
                    "2262-01-01",
                    "1900-01-01",
                    "2000-01-01",
                    "2001-01-01",
                    "2002-01-01",
                    "2003-01-01",
                ],
                format="ISO8601",
            ).astype("datetime64[us]"),
            "ns": [None, "N", "Y", None, "ü", "N", "N", None, "Y"],
        }
    )
    import io

    import fastavro

    parsed = fastavro.parse_schema(schema)
    for i, msg in enumerate(frames(df, schema, 7)):
        sid, body = wire.unframe(msg)
        ref = io.BytesIO()
        fastavro.schemaless_writer(ref, parsed, wire.to_dict(df.iloc[i]))
        assert sid == 7 and body == ref.getvalue(), i
    assert frames(df.iloc[:0], schema, 7) == []
    wide = {"type": "record", "name": "Wide", "fields": [{"name": f"s{i}", "type": "string"} for i in range(8)]}
    texts = pd.DataFrame({f"s{i}": [("x" * ((i * 37 + r * 101) % 4000)) for r in range(30)] for i in range(8)})
    parsed_wide = fastavro.parse_schema(wide)
    for r, msg in enumerate(frames(texts, wide, 3)):  # 8 parts up to 4000 wide: the layouts exceed an int64
        ref = io.BytesIO()
        fastavro.schemaless_writer(ref, parsed_wide, texts.iloc[r].to_dict())
        assert wire.unframe(msg)[1] == ref.getvalue(), r
    with pytest.raises(TypeError, match="does not support"):
        wire.encode_frames(df, {"type": "record", "name": "B", "fields": [{"name": "i", "type": "boolean"}]}, 1)


def test_frame_and_unframe():
    assert wire.frame(258, b"abc") == b"\x00\x00\x00\x01\x02abc"
    assert wire.unframe(b"\x00\x00\x00\x01\x02abc") == (258, b"abc")
    with pytest.raises(ValueError, match="not a Confluent frame"):
        wire.unframe(b'{"json": 1}')


def test_decode_by_hand():
    df = data.load("yellow", "2021-01", limit=3)
    msg = frames(df, schemas.load(), 1)[2]
    row = wire.decode(msg, schemas.load())
    assert row["trip_id"] == "yellow-2021-01-2" and row["pu_location_id"] == df["pu_location_id"].iloc[2]


def test_report_check():
    ok = produce.ProduceReport("t", "d", read=10, accepted=8, rejected=2, delivered=8, dlq_delivered=2)
    assert ok.check() is ok and not ok.problems()
    for change in ({"read": 11}, {"delivered": 7}, {"delivered": 7, "failed": 1}, {"dlq_delivered": 1}):
        bad = produce.ProduceReport(
            "t", "d", **{**dict(read=10, accepted=8, rejected=2, delivered=8, dlq_delivered=2), **change}
        )
        with pytest.raises(ProduceError) as exc:
            bad.check()
        assert exc.value.report is bad
    assert "accepted" in str(ok) and "rate" in str(ok)


def test_dlq_messages_carry_reason_headers_and_the_row():
    accepted, rejected = data.validate(data.load("yellow", "2021-01", limit=2000), "2021-01")
    msgs = produce.dlq_messages(rejected)
    assert len(msgs) == len(rejected) > 0
    for (key, value, headers), (idx, row) in zip(msgs, rejected.iterrows()):
        h = {k: v.decode() for k, v in headers}
        assert h["reason"] == row["reason"] and h["reason_detail"] == row["reason_detail"]
        assert h["source"] == "yellow_tripdata_2021-01.parquet" and h["row"] == str(idx)
        body = json.loads(value)
        assert key == row["trip_id"] == body["trip_id"] and body["fare_amount"] == row["fare_amount"]


def test_keys_are_zone_ids():
    s = pd.Series([1, 265, 42], dtype="Int64")
    assert produce._keys(s) == ["1", "265", "42"]
    assert produce._keys(pd.Series([5000])) == ["5000"]


@pytest.fixture
def mock_cluster(monkeypatch):
    """librdkafka's in-process mock cluster and a mock:// registry stand in for the services."""
    monkeypatch.setattr(schemas, "register", lambda subject, schema, url=None: 1)
    monkeypatch.setattr(schemas, "set_compatibility", lambda subject, level="BACKWARD", url=None: level)
    return {"test.mock.num.brokers": 1, "bootstrap.servers": ""}


def test_produce_frame_accounts_for_every_row(mock_cluster):
    accepted, rejected = data.validate(data.load("yellow", "2021-01", limit=3000), "2021-01")
    report = produce.produce_frame(
        accepted, rejected, topic="unit", dlq="unit-dlq", progress=False, producer_conf=mock_cluster
    )
    assert (report.read, report.accepted, report.rejected) == (3000, len(accepted), len(rejected))
    assert report.delivered == len(accepted) and report.dlq_delivered == len(rejected) and report.failed == 0
    assert report.reasons == rejected["reason"].value_counts().to_dict()


def test_replay_is_paced_by_pickup_time(mock_cluster):
    accepted, _ = data.validate(data.load("yellow", "2021-01", limit=400), "2021-01")
    span = (accepted["pickup_ts"].max() - accepted["pickup_ts"].min()).total_seconds()
    speedup = span / 1.0  # the whole slice in about one second
    report = produce.produce_frame(
        accepted, topic="unit-replay", progress=False, speedup=speedup, producer_conf=mock_cluster
    )
    assert report.delivered == len(accepted)
    assert 0.9 <= report.elapsed_s < 10


def test_undeliverable_messages_fail_the_check(monkeypatch):
    monkeypatch.setattr(schemas, "register", lambda subject, schema, url=None: 1)
    monkeypatch.setattr(schemas, "set_compatibility", lambda subject, level="BACKWARD", url=None: level)
    accepted, rejected = data.validate(data.load("yellow", "2021-01", limit=200), "2021-01")
    conf = {"bootstrap.servers": "127.0.0.1:9", "message.timeout.ms": 300, "log_level": 0}
    report = produce.produce_frame(accepted, rejected, topic="nowhere", progress=False, producer_conf=conf, check=False)
    assert report.failed == len(accepted) and report.delivered == 0 and report.dlq_failed == len(rejected)
    with pytest.raises(ProduceError, match="failed"):
        report.check()
    with pytest.raises(ProduceError, match=r"^produce accounting failed: Kafka at 127\.0\.0\.1:9 did not acknowledge"):
        report.check()  # the first thing said names the broker (tests/faults/test_faults.py: killed mid-produce)


def test_produce_month_scaled_and_shifted_to_now(mock_cluster):
    """produce(): load + validate + SYNTHETIC scale-up, every copy accounted for; replay "as if now"."""
    report = produce.produce(
        "yellow",
        "2025-01",
        scale=3,
        ensure=False,
        topic="unit-scale",
        dlq="unit-scale-dlq",
        progress=False,
        producer_conf=mock_cluster,
    )
    accepted, rejected = data.validate(data.load("yellow", "2025-01"), "2025-01")
    assert (report.read, report.accepted, report.rejected) == (3000, 3 * len(accepted), 3 * len(rejected))
    assert report.delivered == 3 * len(accepted) and report.dlq_delivered == 3 * len(rejected)
    first = accepted.sort_values("pickup_ts").head(50)
    span = (first["pickup_ts"].max() - first["pickup_ts"].min()).total_seconds()
    report = produce.produce_frame(
        first, topic="unit-now", speedup=span / 0.5, shift_to_now=True, progress=False, producer_conf=mock_cluster
    )
    assert report.delivered == 50 and report.elapsed_s >= 0.4
