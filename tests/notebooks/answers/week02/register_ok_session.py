"""Right, written differently: a requests.Session, the body as text, the status checked by hand."""

import json

import requests

EXERCISE = "register"
EXPECT = "✅"
KEYWORDS = ("not its version",)


def register(url, subject, schema):
    with requests.Session() as http:
        http.headers["Content-Type"] = "application/vnd.schemaregistry.v1+json"
        answer = http.post(
            f"{url}/subjects/{subject}/versions", data=json.dumps({"schema": json.dumps(schema)}), timeout=10
        )
    if answer.status_code >= 400:
        raise RuntimeError(f"registry said {answer.status_code}: {answer.text}")
    return int(answer.json()["id"])
