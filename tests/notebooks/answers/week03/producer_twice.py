"""Wrong (produced twice): a "retry" loop sends every accepted row again."""

from _producer import produce, settings
from confluent_kafka import Producer

EXERCISE = "producer"
EXPECT = "❌"
KEYWORDS = ("produced once",)
ABSENT = ("flush",)
producer_settings = settings


def produce_trips(conf, registry_url, accepted, rejected, topic, dlq):
    return produce(Producer(conf), registry_url, accepted, rejected, topic, dlq, times=2)
