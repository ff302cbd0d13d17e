"""Week 2 exercise checks: the trip schema written by hand, registered over REST, evolved, refused; a frame decoded.

The checks ask the registry itself (subject versions, ids, compatibility answers) and compare the learner's schema
with the contract by the bytes both write for real trips.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import NoReturn

from lab.errors import CheckFailed
from lab.lessons.exercises import expect
from lab.pipeline import schemas, wire


def _records(n: int = 50) -> list[dict]:
    from lab.pipeline import data

    return [wire.to_dict(row) for row in data.load("yellow", "2021-01", limit=n).drop(columns="trip_type").iloc]


def check_trip_schema(trip_schema: Callable[[], dict]) -> str:
    """The learner's schema writes real trips to exactly the bytes the lab's contract writes (docs may differ)."""
    import fastavro

    mine = trip_schema()
    expect(
        isinstance(mine, dict) and mine.get("type") == "record",
        "return a dict: {'type': 'record', 'name': …, 'fields': [...]}",
    )
    try:
        parsed = fastavro.parse_schema(json.loads(json.dumps(mine)))

    except Exception as exc:  # noqa: BLE001 - fastavro's message is what the learner needs
        _fail(f"fastavro cannot parse your schema: {exc}")
    want = schemas.load(schemas.V1)
    names, want_names = [f.get("name") for f in mine.get("fields", [])], [f["name"] for f in want["fields"]]
    missing, extra = sorted(set(want_names) - set(names)), sorted(set(names) - set(want_names))
    expect(
        names == want_names,
        f"the fields differ from the contract: missing {missing}, extra {extra}"
        + ("" if missing or extra else ", or their order"),
    )
    reference = fastavro.parse_schema(want)
    for i, record in enumerate(_records()):
        a, b = io.BytesIO(), io.BytesIO()
        try:
            fastavro.schemaless_writer(a, parsed, record)
        except Exception as exc:  # noqa: BLE001
            _fail(
                f"trip {record['trip_id']} does not fit your schema: {exc} "
                "(nullable fields are ['null', T] with default null)"
            )
        fastavro.schemaless_writer(b, reference, record)
        if a.getvalue() != b.getvalue():
            diff = [
                f["name"]
                for f, g in zip(mine["fields"], want["fields"])
                if json.dumps(f.get("type")) != json.dumps(g["type"])
            ]
            _fail(
                f"trip {i} encodes differently; field types that differ: {diff} (timestamps: long with "
                "logicalType timestamp-micros)"
            )
    return f"{len(names)} fields; 50 real trips encode to the same bytes as the lab's contract"


def _fail(message: str) -> NoReturn:
    raise CheckFailed(message)


def _status_of(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None) or getattr(exc, "status", None)


def check_register(register: Callable, subject: str) -> str:
    """`register(url, subject, schema)` POSTs the schema and returns the id the registry gave; twice, the same id."""
    from lab.services import schema_registry

    schemas.delete_subject(subject)
    url = schema_registry.registry_url()
    v1 = schemas.load(schemas.V1)
    schema_id = register(url, subject, v1)
    versions = schemas.versions(subject)
    expect(versions == [1], f"the registry holds versions {versions} of {subject!r} after one registration, not [1]")
    latest = schemas.get(subject, "latest")
    expect(
        schema_id == latest["id"],
        f"your register returned {schema_id!r}; the registry gave id {latest['id']} "
        "(read it from the JSON answer: resp.json()['id'])",
    )
    again = register(url, subject, v1)
    expect(
        again == schema_id and schemas.versions(subject) == [1],
        f"registering the same schema again gave {again!r} and versions {schemas.versions(subject)}: "
        "ids identify content",
    )
    return f"{subject} v1 has id {schema_id}; registering it again returns the same id"


def check_evolution(
    register: Callable, evolve: Callable[[dict], dict], break_it: Callable[[dict], dict], subject: str
) -> str:
    """Under BACKWARD, the learner's evolution registers as v2 (new fields with defaults) and their breaking change
    is refused with HTTP 409 (their `register` raises), leaving the subject at two versions."""
    from lab.services import schema_registry

    url = schema_registry.registry_url()
    schemas.delete_subject(subject)
    schemas.set_compatibility(subject, "BACKWARD")
    v1 = schemas.load(schemas.V1)
    schemas.register(subject, v1)
    v2 = evolve(json.loads(json.dumps(v1)))
    old = {f["name"] for f in v1["fields"]}
    added = [f for f in (v2 or {}).get("fields", []) if f["name"] not in old]
    expect(added, "your evolution adds no field: append one (a nullable type with a default)")
    expect(all("default" in f for f in added), f"{[f['name'] for f in added if 'default' not in f]} have no default")
    expect(schemas.check_compatible(subject, v2), "the registry says your evolution is not BACKWARD compatible")
    register(url, subject, v2)
    expect(
        schemas.versions(subject) == [1, 2], f"{subject!r} has versions {schemas.versions(subject)} after the evolution"
    )
    bad = break_it(json.loads(json.dumps(v1)))
    expect(
        isinstance(bad, dict) and not schemas.check_compatible(subject, bad),
        "the registry finds your breaking change compatible: add a field *without* a default (or change a type)",
    )
    try:
        answer = register(url, subject, bad)
    except Exception as exc:  # noqa: BLE001 - any error the learner's client raises; its status is what counts
        status = _status_of(exc)
        expect(
            status == 409, f"your register raised {type(exc).__name__} with status {status}; the registry answers 409"
        )
    else:
        _fail(
            f"your register returned {answer!r} for a refused schema: raise on an error answer "
            "(resp.raise_for_status())"
        )
    expect(
        schemas.versions(subject) == [1, 2],
        f"{subject!r} has versions {schemas.versions(subject)}: the refused schema got in",
    )
    return (
        f"v2 adds {[f['name'] for f in added]} (compatible); the breaking change was refused with 409; versions [1, 2]"
    )


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
    expect(
        isinstance(record, dict) and record == want,
        f"the record differs; decode bytes 5… with fastavro.schemaless_reader and the writer schema (got {str(record)[:80]})",
    )
    return f"schema id {schema_id}, trip {record['trip_id']}: {len(body)} bytes of Avro, decoded by hand"
