"""Right, written differently: the fix frames each body by hand (magic byte, the id the registry gives v1 under the
topic's subject, fastavro's schemaless body)."""

import io
import json

import fastavro
import requests
from _mismatch import diagnose  # noqa: F401
from confluent_kafka import Producer

import lab

EXERCISE = "mismatch"
EXPECT = "✅"
KEYWORDS = ("After your fix", "nothing quarantined")


def fix(topic, trips):
    url = lab.schema_registry.registry_url()
    latest = requests.get(f"{url}/subjects/{topic}-value/versions/latest", timeout=10).json()
    schema = fastavro.parse_schema(json.loads(latest["schema"]))
    producer = Producer({"bootstrap.servers": lab.kafka.bootstrap_servers(), "acks": "all"})
    for row in trips.to_dict("records"):
        body = io.BytesIO()
        fastavro.schemaless_writer(body, schema, lab.wire.to_dict(row, None))
        value = b"\0" + int(latest["id"]).to_bytes(4, "big") + body.getvalue()
        producer.produce(topic, key=str(row["pu_location_id"]), value=value)
    producer.flush(60)
