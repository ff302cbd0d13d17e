"""The notebook's producer with the duration's unit and the schema as parameters (for the answers that change them)."""

import json

from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

import lab


def send(trips, topic, schema, per_second=1.0):
    registry = SchemaRegistryClient({"url": lab.schema_registry.registry_url()})
    serialize = AvroSerializer(registry, json.dumps(schema))
    producer = Producer({"bootstrap.servers": lab.kafka.bootstrap_servers(), "enable.idempotence": True})
    context = SerializationContext(topic, MessageField.VALUE)
    for row in trips.itertuples(index=False):
        record = lab.wire.to_dict(row)
        if "duration_s" in {f["name"] for f in schema["fields"]}:
            record["duration_s"] = int((row.dropoff_ts - row.pickup_ts).total_seconds() / per_second)
        producer.produce(topic, key=str(row.pu_location_id), value=serialize(record, context))
    producer.flush(30)
