"""Wrong (the version, not the id): registers, then returns the latest version's number."""

import json

import requests

EXERCISE = "register"
EXPECT = "❌"
KEYWORDS = ("that is the version", "['id']")


def register(url, subject, schema):
    headers = {"Content-Type": "application/vnd.schemaregistry.v1+json"}
    requests.post(
        f"{url}/subjects/{subject}/versions", headers=headers, json={"schema": json.dumps(schema)}, timeout=10
    ).raise_for_status()
    return requests.get(f"{url}/subjects/{subject}/versions/latest", timeout=10).json()["version"]
