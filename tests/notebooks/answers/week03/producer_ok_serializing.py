"""Right, written differently: a SerializingProducer with key and value serializers for the trips, a second plain
Producer for the DLQ, counts kept in nonlocal integers, flush on both."""

import json

from confluent_kafka import Producer, SerializingProducer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import StringSerializer

import lab

EXERCISE = "producer"
EXPECT = "✅"
KEYWORDS = ("decode exactly",)


def producer_settings(conf):
    return conf | {"acks": -1, "enable.idempotence": "true", "compression.type": "zstd"}


def produce_trips(conf, registry_url, accepted, rejected, topic, dlq):
    delivered = failed = to_dlq = 0

    def counted(err, msg):
        nonlocal delivered, failed, to_dlq
        if err:
            failed += 1
        elif msg.topic() == dlq:
            to_dlq += 1
        else:
            delivered += 1

    avro = AvroSerializer(SchemaRegistryClient({"url": registry_url}), json.dumps(lab.schemas.load()), lab.wire.to_dict)
    trips = SerializingProducer({**conf, "key.serializer": StringSerializer(), "value.serializer": avro})
    for row in accepted.itertuples(index=False):
        trips.produce(topic, key=str(row.pu_location_id), value=row._asdict(), on_delivery=counted)
        trips.poll(0)
    trips.flush()
    side = Producer(conf)
    for _, row in rejected.iterrows():
        headers = {"reason": row["reason"], "reason_detail": row["reason_detail"]}
        body = row.drop(["reason", "reason_detail"]).to_json(date_format="iso")
        side.produce(dlq, body, row["trip_id"], headers=headers, on_delivery=counted)
    side.flush()
    return {"delivered": delivered, "failed": failed, "dlq": to_dlq}
