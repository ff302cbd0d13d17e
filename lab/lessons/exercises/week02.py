"""Week 2 exercise checks: registering a schema, evolving it compatibly, decoding a Confluent frame by hand."""
from __future__ import annotations

from lab.lessons.exercises import expect
from lab.pipeline import schemas, wire


def check_registered(subject: str, schema_id: int | None) -> str:
    """The subject exists and one of its versions has the id the learner got back."""
    expect(schema_id is not None, "register the schema first: `schema_id` is still None")
    versions = schemas.versions(subject)
    expect(versions, f"subject {subject!r} has no versions yet: register the v1 schema under it")
    ids = {schemas.get(subject, v)["id"]: v for v in versions}
    expect(schema_id in ids, f"{subject!r} holds ids {sorted(ids)}, not {schema_id}")
    return f"{subject} version {ids[schema_id]} has id {schema_id}"


def check_evolved(subject: str) -> str:
    """The subject is BACKWARD, has at least two versions, and the latest only adds fields that have defaults."""
    level = schemas.compatibility(subject)
    expect(level == "BACKWARD", f"{subject!r} is {level}; set it to BACKWARD first (lab.schemas.set_compatibility)")
    versions = schemas.versions(subject)
    expect(len(versions) >= 2, f"{subject!r} has {len(versions)} version(s); register v1, then your evolution")
    old, new = schemas.get(subject, versions[-2])["schema"], schemas.get(subject, versions[-1])["schema"]
    old_names = {f["name"] for f in old["fields"]}
    added = [f for f in new["fields"] if f["name"] not in old_names]
    expect(added, "the latest version adds no field: add one (with a default)")
    missing = [f["name"] for f in added if "default" not in f]
    expect(not missing, f"new field(s) {missing} have no default: the registry should have refused them")
    return f"{subject} v{versions[-1]} adds {[f['name'] for f in added]} with defaults: old data stays readable"


def check_decoded(message: bytes, answer) -> str:
    """`answer` is (schema id, record dict) of the framed message, as decoded by hand."""
    expect(isinstance(answer, tuple) and len(answer) == 2, "answer with a tuple: (schema_id, record)")
    schema_id, record = answer
    want_id, body = wire.unframe(message)
    expect(schema_id == want_id, f"the schema id is bytes 1–4, big-endian: expected {want_id}, got {schema_id}")
    want = wire.decode(message, schemas.by_id(want_id))
    expect(isinstance(record, dict) and record == want,
           f"the record differs; decode bytes 5… with fastavro.schemaless_reader and the writer schema (got {str(record)[:80]})")
    return f"schema id {schema_id}, trip {record['trip_id']}: {len(body)} bytes of Avro, decoded by hand"
