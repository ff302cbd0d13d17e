"""Wrong (settings not used): producer_settings is right, but produce_trips builds its own producer with acks=1."""

from _producer import produce, settings
from confluent_kafka import Producer

EXERCISE = "producer"
EXPECT = "❌"
INJECT = "produce_trips"  # also run in the week's notebook: Run All goes on
KEYWORDS = ("acks=1",)
producer_settings = settings


def produce_trips(conf, registry_url, accepted, rejected, topic, dlq):
    fast = Producer({"bootstrap.servers": conf["bootstrap.servers"], "acks": 1, "compression.type": "lz4"})
    return produce(fast, registry_url, accepted, rejected, topic, dlq)
