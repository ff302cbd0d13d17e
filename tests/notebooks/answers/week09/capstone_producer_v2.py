"""Wrong (the old schema): the producer still serializes with v2 (lab.schemas.load('taxi_trip_v2')): no duration_s."""

from _producer import send

import lab

EXERCISE = "produce_v3"
EXPECT = "❌"
KEYWORDS = ("no duration_s", "v3")


def produce_v3(trips, topic, schema):
    send(trips, topic, lab.schemas.load(lab.schemas.V2))
