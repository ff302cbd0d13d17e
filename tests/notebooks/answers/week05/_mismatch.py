"""The notebook's solution of diagnose and fix, for the answers that change one of the two."""

import io
import json
from datetime import UTC, datetime, timedelta

import fastavro
import pandas as pd
import requests
from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

import lab


def quarantine_rows(topic: str) -> pd.DataFrame:
    session, today = lab.tables.connect(), datetime.now(UTC).date()
    cql = "SELECT reason, detail, schema_id, value FROM kappa.quarantine WHERE day = %s AND topic = %s"
    return pd.DataFrame([r for day in (today - timedelta(days=1), today) for r in session.execute(cql, (day, topic))])


def all_schemas() -> dict:
    url = lab.schema_registry.registry_url()
    schemas = {}
    for subject in requests.get(f"{url}/subjects", timeout=10).json():
        for v in requests.get(f"{url}/subjects/{subject}/versions", timeout=10).json():
            answer = requests.get(f"{url}/subjects/{subject}/versions/{v}", timeout=10).json()
            schemas[answer["id"]] = fastavro.parse_schema(json.loads(answer["schema"]), named_schemas={})
    return schemas


def fits(body: bytes, schema) -> bool:
    buf = io.BytesIO(body)
    try:
        fastavro.schemaless_reader(buf, schema)
    except Exception:  # noqa: BLE001 - garbage raises many types
        return False
    return buf.tell() == len(body)


def diagnose(topic: str) -> dict[str, dict]:
    rows, schemas = quarantine_rows(topic), all_schemas()
    url = lab.schema_registry.registry_url()
    out = {}
    for reason, g in rows.groupby("reason"):
        bodies = [bytes(v)[5:] for v in g["value"]]
        body_id = next(i for i, s in schemas.items() if all(fits(b, s) for b in bodies))
        holders = requests.get(f"{url}/schemas/ids/{body_id}/versions", timeout=10).json()
        out[reason] = {
            "records": len(g),
            "frame_id": int(g["schema_id"].iloc[0]),
            "body_id": body_id,
            "subjects": [h["subject"] for h in holders],
        }
    return out


def fix(topic: str, trips: pd.DataFrame) -> None:
    registry = SchemaRegistryClient({"url": lab.schema_registry.registry_url()})
    serializer = AvroSerializer(registry, json.dumps(lab.schemas.load()), to_dict=lab.wire.to_dict)
    ctx = SerializationContext(topic, MessageField.VALUE)
    producer = Producer({"bootstrap.servers": lab.kafka.bootstrap_servers(), "enable.idempotence": True})
    for row in trips.to_dict("records"):
        producer.produce(topic, key=str(row["pu_location_id"]), value=serializer(row, ctx))
    producer.flush(60)
