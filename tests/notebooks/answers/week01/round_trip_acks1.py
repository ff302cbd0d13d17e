"""Wrong (acks=1 inside the function): idempotent in name, but the function builds its producer with acks=1."""

from _consumer import consume_all  # noqa: F401 - the exercise's second function
from confluent_kafka import Producer

EXERCISE = "round_trip"
EXPECT = "❌"
KEYWORDS = ("acks",)


def produce_keyed(conf, topic, records):
    out = []
    producer = Producer({**conf, "acks": 1})
    for key, value in records:
        producer.produce(
            topic, key=key, value=value, on_delivery=lambda e, m: out.append((m.key().decode(), m.partition(), 0))
        )
    producer.flush(30)
    return out
