"""The shipped Avro schemas and lab.schemas without a registry (fastavro resolution, mock:// client, error parsing)."""

from __future__ import annotations

import io

import fastavro
import pytest
from fastavro.read import SchemaResolutionError

from lab.errors import LabError, SchemaRejected
from lab.pipeline import data, schemas

CONTRACT_V1 = [  # the shared data contract (common.md), field by field
    ("trip_id", "string"),
    ("service", "string"),
    ("vendor_id", ["null", "int"]),
    ("pickup_ts", {"type": "long", "logicalType": "timestamp-micros"}),
    ("dropoff_ts", {"type": "long", "logicalType": "timestamp-micros"}),
    ("passenger_count", ["null", "int"]),
    ("trip_distance", "double"),
    ("ratecode_id", ["null", "int"]),
    ("store_and_fwd_flag", ["null", "string"]),
    ("pu_location_id", "int"),
    ("do_location_id", "int"),
    ("payment_type", ["null", "int"]),
    ("fare_amount", "double"),
    ("extra", "double"),
    ("mta_tax", "double"),
    ("tip_amount", "double"),
    ("tolls_amount", "double"),
    ("improvement_surcharge", "double"),
    ("total_amount", "double"),
    ("congestion_surcharge", ["null", "double"]),
    ("airport_fee", ["null", "double"]),
    ("cbd_congestion_fee", ["null", "double"]),
]


def test_v1_is_exactly_the_contract():
    s = schemas.load(schemas.V1)
    assert (s["type"], s["name"], s["namespace"]) == ("record", "TaxiTrip", "nyc.tlc")
    assert [(f["name"], f["type"]) for f in s["fields"]] == CONTRACT_V1
    for f in s["fields"]:
        assert f["doc"].strip(), f["name"]
        if isinstance(f["type"], list):
            assert "default" in f and f["default"] is None, f"nullable {f['name']} must default to null"
        else:
            assert "default" not in f
    assert [f["name"] for f in s["fields"]] == list(data.COLUMNS[:-1])


def test_v2_adds_trip_type_with_a_default_and_the_broken_one_without():
    v1, v2, bad = (schemas.load(n) for n in (schemas.V1, schemas.V2, schemas.V2_INCOMPATIBLE))
    assert v2["fields"][:-1] == v1["fields"] and bad["fields"][:-1] == v1["fields"]
    assert v2["fields"][-1]["name"] == bad["fields"][-1]["name"] == "trip_type"
    assert v2["fields"][-1]["type"] == ["null", "int"] and v2["fields"][-1]["default"] is None
    assert "default" not in bad["fields"][-1]
    for s in (v1, v2, bad):
        fastavro.parse_schema(s)


def _write(schema: dict, record: dict) -> bytes:
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, fastavro.parse_schema(schema), record)
    return buf.getvalue()


def test_backward_means_the_new_reader_reads_old_data():
    """What BACKWARD checks, done by fastavro's schema resolution: v2 reads v1 bytes, the broken v2 cannot."""
    from lab.pipeline import wire

    row = wire.to_dict(data.load("green", "2024-01", limit=1).iloc[0].drop("trip_type"))
    old = _write(schemas.load(schemas.V1), row)
    v1 = fastavro.parse_schema(schemas.load(schemas.V1))
    got = fastavro.schemaless_reader(io.BytesIO(old), v1, fastavro.parse_schema(schemas.load(schemas.V2)))
    assert got["trip_type"] is None and got["trip_id"] == "green-2024-01-0"
    with pytest.raises(SchemaResolutionError):
        fastavro.schemaless_reader(io.BytesIO(old), v1, fastavro.parse_schema(schemas.load(schemas.V2_INCOMPATIBLE)))


def test_schema_str_accepts_names_dicts_and_text():
    text = schemas.schema_str(schemas.V1)
    assert schemas.schema_str(schemas.load(schemas.V1)) == text
    assert schemas.schema_str(text) == text
    with pytest.raises(LabError, match="taxi_trip_v2"):
        schemas.load("no_such_schema")


def test_registry_errors_are_mapped_to_schema_rejected():
    from confluent_kafka.schema_registry.error import SchemaRegistryError

    e = schemas.rejected("trips-value", SchemaRegistryError(409, 409, "Incompatible artifact: x"))
    assert isinstance(e, SchemaRejected) and (e.status, e.error_code) == (409, 409)
    assert "Incompatible artifact" in str(e) and "trips-value" in str(e)
    e = schemas.rejected("s", SchemaRegistryError(502, -1, "Unknown Schema Registry Error: <html>bad gateway</html>"))
    assert e.error_code is None and "bad gateway" in e.message


def test_the_admin_calls_go_through_the_client_and_its_errors_map(monkeypatch):
    """mock:// (the client's in-process registry): register, versions, get, by_id, delete; an unknown
    subject is a 404 as SchemaRejected, which versions/delete_subject turn into []."""
    url = "mock://admin"
    sid = schemas.register("t-value", schemas.V1, url=url)
    assert schemas.register("t-value", schemas.V1, url=url) == sid  # the same schema: the same id
    assert schemas.versions("t-value", url=url) == [1] and "t-value" in schemas.subjects(url=url)
    got = schemas.get("t-value", url=url)
    assert (got["id"], got["version"], got["schema"]["name"]) == (sid, 1, "TaxiTrip")
    assert schemas.by_id(sid, url=url)["name"] == "TaxiTrip"
    assert schemas.versions("nothing-value", url=url) == [] and schemas.delete_subject("nothing-value", url=url) == []
    with pytest.raises(SchemaRejected) as caught:
        schemas.get("nothing-value", url=url)
    assert caught.value.status == 404 and caught.value.subject == "nothing-value"
    assert schemas.delete_subject("t-value", url=url) == [1] and schemas.versions("t-value", url=url) == []


def test_unreachable_registry_is_a_clear_lab_error():
    with pytest.raises(LabError, match="not reachable"):
        schemas.versions("x-value", url="http://127.0.0.1:9/apis/ccompat/v7")
    with pytest.raises(LabError, match="unknown compatibility level"):
        schemas.set_compatibility("x-value", "SIDEWAYS", url="http://127.0.0.1:9")


def test_mock_registry_serializer_and_deserializer_round_trip():
    """confluent-kafka's in-process mock registry: register, frame, look the id up, decode."""
    from confluent_kafka.serialization import MessageField, SerializationContext

    df = data.load("yellow", "2025-01", limit=5)
    ser = schemas.serializer(schemas.V1, url="mock://unit")
    des = schemas.deserializer(url="mock://unit")
    ctx = SerializationContext("trips", MessageField.VALUE)
    for row in df.drop(columns="trip_type").to_dict("records"):
        msg = ser(row, ctx)
        assert msg[0] == 0
        back = des(msg, ctx)
        assert back["trip_id"] == row["trip_id"] and back["fare_amount"] == row["fare_amount"]
        assert back["pickup_ts"].replace(tzinfo=None) == row["pickup_ts"].to_pydatetime()
