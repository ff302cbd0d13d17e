"""Wrong (the whole answer): returns the JSON dict instead of its id."""

import json

import requests

EXERCISE = "register"
EXPECT = "❌"
KEYWORDS = ("your register returned {",)


def register(url, subject, schema):
    resp = requests.post(f"{url}/subjects/{subject}/versions", json={"schema": json.dumps(schema)}, timeout=10)
    resp.raise_for_status()
    return resp.json()
