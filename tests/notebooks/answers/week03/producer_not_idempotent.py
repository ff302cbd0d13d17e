"""Wrong (idempotence dropped inside the function): acks=all, but retries may duplicate."""

from _producer import produce, settings
from confluent_kafka import Producer

EXERCISE = "producer"
EXPECT = "❌"
KEYWORDS = ("enable.idempotence",)
producer_settings = settings


def produce_trips(conf, registry_url, accepted, rejected, topic, dlq):
    plain = Producer({k: v for k, v in conf.items() if k != "enable.idempotence"})
    return produce(plain, registry_url, accepted, rejected, topic, dlq)
