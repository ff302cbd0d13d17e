"""Wrong (idempotence off): acks=all, but a retry may duplicate or reorder."""

from _consumer import consume_all  # noqa: F401
from confluent_kafka import Producer

EXERCISE = "round_trip"
EXPECT = "❌"
KEYWORDS = ("idempotence",)


def produce_keyed(conf, topic, records):
    out = []
    producer = Producer({**conf, "acks": "all", "enable.idempotence": False})
    for key, value in records:
        producer.produce(
            topic,
            key=key,
            value=value,
            on_delivery=lambda e, m: out.append((m.key().decode(), m.partition(), m.offset())),
        )
    producer.flush(30)
    return out
