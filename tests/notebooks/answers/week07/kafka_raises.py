"""Raises: the registry refuses a schema that is not Avro."""

import requests

import lab

EXERCISE = "anomalies_to_kafka"
EXPECT = "❌"
KEYWORDS = ("Your code raised", "HTTPError")


def anomalies_to_kafka(anomalies, topic, checkpoint):
    url = lab.schema_registry.registry_url()
    answer = requests.post(f"{url}/subjects/{topic}-value/versions", json={"schema": "not a schema"}, timeout=10)
    answer.raise_for_status()
