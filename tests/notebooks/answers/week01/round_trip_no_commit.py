"""Wrong (no commit): the consumer reads everything but never commits, so the group starts over next time."""

import time

from confluent_kafka import Consumer, Producer

EXERCISE = "round_trip"
EXPECT = "❌"
KEYWORDS = ("commit",)


def produce_keyed(conf, topic, records):
    out = []
    producer = Producer({**conf, "acks": "all", "enable.idempotence": True})
    for key, value in records:
        producer.produce(
            topic,
            key=key,
            value=value,
            on_delivery=lambda e, m: out.append((m.key().decode(), m.partition(), m.offset())),
        )
    producer.flush(30)
    return out


def consume_all(conf, topic, group, n, timeout_s=30):
    consumer = Consumer({**conf, "group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic])
    got, deadline = [], time.monotonic() + timeout_s
    while len(got) < n and time.monotonic() < deadline:
        msg = consumer.poll(1.0)
        if msg is not None and not msg.error():
            got.append((msg.key().decode(), msg.value().decode(), msg.partition(), msg.offset()))
    consumer.close()
    return got
