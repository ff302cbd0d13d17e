"""Right, written differently: int.from_bytes for the id, the writer schema over REST."""

import io
import json

import fastavro
import requests

import lab

EXERCISE = "decode"
EXPECT = "✅"
KEYWORDS = ("both frames decoded by hand",)


def decode_frame(message):
    schema_id = int.from_bytes(message[1:5], "big")
    text = requests.get(f"{lab.schema_registry.registry_url()}/schemas/ids/{schema_id}", timeout=10).json()["schema"]
    return schema_id, fastavro.schemaless_reader(io.BytesIO(message[5:]), fastavro.parse_schema(json.loads(text)))
