"""Raises: a column name that the trips do not have."""

from _producer import produce, settings
from confluent_kafka import Producer

EXERCISE = "producer"
EXPECT = "❌"
KEYWORDS = ("KeyError", "pickup_zone")
producer_settings = settings


def produce_trips(conf, registry_url, accepted, rejected, topic, dlq):
    return produce(
        Producer(conf), registry_url, accepted, rejected, topic, dlq, key=lambda row: str(row["pickup_zone"])
    )
