"""Wrong (register never raises): the 409 answer comes back as a value."""

import json

import requests

EXERCISE = "evolution"
EXPECT = "❌"
KEYWORDS = ("raise on an error answer",)


def register(url, subject, schema):
    headers = {"Content-Type": "application/vnd.schemaregistry.v1+json"}
    resp = requests.post(
        f"{url}/subjects/{subject}/versions", headers=headers, json={"schema": json.dumps(schema)}, timeout=10
    )
    return resp.json().get("id")


def evolve(schema):
    schema["fields"].append({"name": "tip_percent", "type": ["null", "double"], "default": None})
    return schema


def break_it(schema):
    schema["fields"].append({"name": "tip_percent", "type": "double"})
    return schema
