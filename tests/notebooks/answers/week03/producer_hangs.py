"""Hangs: waits until the trips' counter also counts the DLQ messages, which it never does."""

from _producer import produce, settings
from confluent_kafka import Producer

EXERCISE = "producer"
EXPECT = "❌"
KEYWORDS = ("produce_trips", "did not return within")
TIMEOUT_S = 5
producer_settings = settings


def produce_trips(conf, registry_url, accepted, rejected, topic, dlq):
    producer = Producer(conf)
    counts = produce(producer, registry_url, accepted, rejected, topic, dlq, flush=False)
    while counts["delivered"] < len(accepted) + len(rejected):
        producer.poll(0.1)
    return counts
