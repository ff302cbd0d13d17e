"""Wrong (keyed by trip): the trip id as key spreads one zone's trips over every partition."""

from _producer import produce, settings
from confluent_kafka import Producer

EXERCISE = "producer"
EXPECT = "❌"
KEYWORDS = ("str(pu_location_id)",)
producer_settings = settings


def produce_trips(conf, registry_url, accepted, rejected, topic, dlq):
    return produce(Producer(conf), registry_url, accepted, rejected, topic, dlq, key=lambda row: row["trip_id"])
