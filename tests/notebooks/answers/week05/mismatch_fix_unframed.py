"""Wrong (no frame): the fix sends bare Avro bodies, without the magic byte and the schema id."""

import io

import fastavro
from _mismatch import diagnose  # noqa: F401
from confluent_kafka import Producer

import lab

EXERCISE = "mismatch"
EXPECT = "❌"
KEYWORDS = ("your fix sent were quarantined",)


def fix(topic, trips):
    schema = fastavro.parse_schema(lab.schemas.load())
    producer = Producer({"bootstrap.servers": lab.kafka.bootstrap_servers()})
    for row in trips.to_dict("records"):
        body = io.BytesIO()
        fastavro.schemaless_writer(body, schema, lab.wire.to_dict(row, None))
        producer.produce(topic, key=str(row["pu_location_id"]), value=body.getvalue())
    producer.flush(60)
