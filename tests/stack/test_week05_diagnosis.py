"""Week 05's diagnosis check: another registered schema that reads the quarantined bytes to the same records is an
equally right body id (the answer table and other weeks register look-alikes: `long` for `int` has the same bytes)."""

from __future__ import annotations

import io

import fastavro

from lab.lessons.exercises import week05
from lab.pipeline import schemas


def _schema(kind: str) -> dict:
    return {"type": "record", "name": "T", "namespace": "lab.test", "fields": [{"name": "n", "type": kind}]}


def test_a_look_alike_schema_is_an_equally_right_body_id(stack, unique_name):
    ids = {k: schemas.register(f"{unique_name}-{k}-value", _schema(k)) for k in ("int", "long", "string")}
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, fastavro.parse_schema(_schema("int")), {"n": 42})
    bodies = [buf.getvalue()]
    assert week05._reads_the_same(ids["long"], ids["int"], bodies), "long reads an int's zigzag bytes, every one"
    assert not week05._reads_the_same(ids["string"], ids["int"], bodies), "a string does not read them"
    assert not week05._reads_the_same(987654321, ids["int"], bodies), "an id the registry does not have"
