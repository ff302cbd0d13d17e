"""A right produce_trips the wrong producer answers vary (each changes one thing)."""

import json

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

import lab


def settings(conf):
    return {**conf, "enable.idempotence": True, "acks": "all", "compression.type": "lz4", "linger.ms": 20}


def produce(producer, registry_url, accepted, rejected, topic, dlq, key=None, times=1, flush=True):
    """Produce with `producer`; `key(row)` picks the key (default: the pickup zone)."""
    serializer = AvroSerializer(
        SchemaRegistryClient({"url": registry_url}), json.dumps(lab.schemas.load()), to_dict=lab.wire.to_dict
    )
    ctx = SerializationContext(topic, MessageField.VALUE)
    counts = {"delivered": 0, "failed": 0, "dlq": 0}

    def on_delivery(err, msg):
        counts["failed" if err else "dlq" if msg.topic() == dlq else "delivered"] += 1

    for _ in range(times):
        for row in accepted.to_dict("records"):
            k = key(row) if key else str(row["pu_location_id"])
            producer.produce(topic, key=k, value=serializer(row, ctx), on_delivery=on_delivery)
            producer.poll(0)
    for _, row in rejected.iterrows():
        headers = [("reason", row["reason"].encode()), ("reason_detail", row["reason_detail"].encode())]
        value = row.drop(["reason", "reason_detail"]).to_json(date_format="iso").encode()
        producer.produce(dlq, key=row["trip_id"], value=value, headers=headers, on_delivery=on_delivery)
    if flush:
        producer.flush(60)
    return counts
