"""Wrong (unit): the duration in whole minutes."""

from _producer import send

EXERCISE = "produce_v3"
EXPECT = "❌"
KEYWORDS = ("minutes", "duration_s")


def produce_v3(trips, topic, schema):
    send(trips, topic, schema, per_second=60)
