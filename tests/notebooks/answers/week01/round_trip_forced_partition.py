"""Wrong (forced partition): every record into partition 0, so order holds, but the key decides nothing; the
consumer commits everything, so the message must not blame the commit."""

from _consumer import consume_all  # noqa: F401
from confluent_kafka import Producer

EXERCISE = "round_trip"
EXPECT = "❌"
KEYWORDS = ("partition", "key decides")
ABSENT = ("commit",)


def produce_keyed(conf, topic, records):
    out = []
    producer = Producer({**conf, "acks": "all", "enable.idempotence": True})
    for key, value in records:
        producer.produce(
            topic,
            key=key,
            value=value,
            partition=0,
            on_delivery=lambda e, m: out.append((m.key().decode(), 0, m.offset())),
        )
    producer.flush(30)
    return out
