"""Raises: the records are (key, value) pairs, unpacked as three."""

from _consumer import consume_all  # noqa: F401
from confluent_kafka import Producer

EXERCISE = "round_trip"
EXPECT = "❌"
INJECT = "produce_keyed"  # also run in the week's notebook: Run All goes on
KEYWORDS = ("ValueError", "round_trip_raises.py", "produce_keyed")


def produce_keyed(conf, topic, records):
    producer = Producer({**conf, "acks": "all", "enable.idempotence": True})
    for key, value, partition in records:
        producer.produce(topic, key=key, value=value, partition=partition)
    producer.flush(30)
    return []
