"""Hangs: retries until the registry says 200, but the body is wrong, so it never does."""

import requests

EXERCISE = "register"
EXPECT = "❌"
KEYWORDS = ("register", "did not return within")
TIMEOUT_S = 3


def register(url, subject, schema):
    resp = requests.post(f"{url}/subjects/{subject}/versions", json={"schema": schema}, timeout=10)
    while resp.status_code != 200:
        resp = requests.post(f"{url}/subjects/{subject}/versions", json={"schema": schema}, timeout=10)
    return resp.json()["id"]
