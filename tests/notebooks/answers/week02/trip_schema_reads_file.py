"""Shortcut: the lab's contract file, read with json."""

import json

import lab

EXERCISE = "trip_schema"
EXPECT = "❌"
KEYWORDS = ("contract file",)


def trip_schema():
    with open(lab.config.RESOURCES / "avro" / "taxi_trip.avsc") as f:
        return json.load(f)
