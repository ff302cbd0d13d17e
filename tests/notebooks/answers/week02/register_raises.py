"""Raises: the schema sent as a JSON object instead of a string; the registry answers with an error."""

import requests

EXERCISE = "register"
EXPECT = "❌"
KEYWORDS = ("HTTPError", "register_raises.py")


def register(url, subject, schema):
    resp = requests.post(f"{url}/subjects/{subject}/versions", json={"schema": schema}, timeout=10)
    resp.raise_for_status()
    return resp.json()["id"]
