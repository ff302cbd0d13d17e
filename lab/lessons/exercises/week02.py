"""Week 2 exercise checks: the trip schema written by hand, registered over REST, evolved, refused; a frame decoded.

The checks ask the registry itself (subject versions, ids, compatibility answers) and compare the learner's schema
with the contract by the bytes both write for real trips.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable
from typing import NoReturn

from lab.errors import CheckFailed, LabError
from lab.lessons.exercises import call, expect, learner
from lab.pipeline import data, schemas, wire
from lab.services import schema_registry


def _records(n: int = 50) -> list[dict]:
    return [wire.to_dict(row) for row in data.load("yellow", "2021-01", limit=n).drop(columns="trip_type").iloc]


SCHEMA_SHORTCUTS = ("lab.schemas.*", "lab.wire.*", "lab.decode.*")
SCHEMA_HINT = "a dict literal, as in the Avro specification"
REST_HINT = "requests: POST {url}/subjects/{subject}/versions"
CONTRACT = "nyc.tlc.TaxiTrip"


def _fullname(schema: dict) -> str:
    name = str(schema.get("name", ""))
    return name if "." in name or not schema.get("namespace") else f"{schema['namespace']}.{name}"


def _meaning(avro_type):
    """A field type as it matters to a reader: primitive names, union branches in order, logical types; no docs."""
    if isinstance(avro_type, list):
        return [_meaning(t) for t in avro_type]
    if isinstance(avro_type, dict):
        if avro_type.get("type") in ("record", "enum", "fixed", "array", "map"):
            return avro_type
        kept = {"type": _meaning(avro_type.get("type"))}
        if "logicalType" in avro_type:
            kept["logicalType"] = avro_type["logicalType"]
        return kept if len(kept) > 1 else kept["type"]
    return avro_type


def _show(avro_type) -> str:
    return json.dumps(_meaning(avro_type))


def _reads_the_contract_file(fn) -> bool:
    """True when the learner's code names the lab's schema files (`.avsc`, AVRO_DIR) instead of writing the schema."""
    seen, todo = set(), [getattr(fn, "__code__", None)]
    while todo:
        code = todo.pop()
        if code is None or id(code) in seen:
            continue
        seen.add(id(code))
        if "AVRO_DIR" in code.co_names or "RESOURCES" in code.co_names:
            return True
        for const in code.co_consts:
            if isinstance(const, str) and ".avsc" in const:
                return True
            if hasattr(const, "co_consts"):
                todo.append(const)
    return False


def _meaning_problems(mine: dict, want: dict) -> list[str]:
    """What a reader would understand differently in `mine` than in the contract, field by field."""
    problems = []
    for f, g in zip(mine["fields"], want["fields"]):
        a, b = _meaning(f.get("type")), _meaning(g["type"])
        if a != b:
            same_bytes = {json.dumps(a), json.dumps(b)} <= {'"int"', '"long"'}
            problems.append(
                f"{f['name']} is {_show(f.get('type'))}, the contract says {_show(g['type'])}"
                + (" (the same bytes, not the same type: a reader decodes into another type)" if same_bytes else "")
            )
        elif "default" in g and f.get("default", "∅") != g["default"]:
            problems.append(f'{f["name"]} needs "default": None (a nullable field defaults to null)')
    return problems


def check_trip_schema(trip_schema: Callable[[], dict]) -> str:
    """The learner's schema means what the lab's contract means: its full name, the fields in order, each field's
    type (int is not long, a union's order, logical types) and the nullable fields' defaults; then 50 real trips
    encode to the same bytes. Written by hand: reading the lab's contract is refused."""
    import fastavro

    if _reads_the_contract_file(trip_schema):
        _fail("your `trip_schema` reads the lab's contract file: write the schema yourself, " + SCHEMA_HINT)
    mine = call(trip_schema, refuse=SCHEMA_SHORTCUTS, hint=SCHEMA_HINT)
    expect(
        isinstance(mine, dict) and mine.get("type") == "record",
        "return a dict: {'type': 'record', 'name': …, 'namespace': …, 'fields': [...]}",
    )
    try:
        parsed = fastavro.parse_schema(json.loads(json.dumps(mine)))
    except Exception as exc:  # noqa: BLE001 - fastavro's message is what the learner needs
        _fail(f"fastavro cannot parse your schema: {exc}")
    want = schemas.load(schemas.V1)
    expect(
        _fullname(mine) == CONTRACT,
        f"your record's full name is {_fullname(mine)!r}, the contract's {CONTRACT!r}: name 'TaxiTrip' in namespace "
        "'nyc.tlc' (readers and the registry tell schemas apart by full name)",
    )
    names, want_names = [f.get("name") for f in mine.get("fields", [])], [f["name"] for f in want["fields"]]
    missing, extra = sorted(set(want_names) - set(names)), sorted(set(names) - set(want_names))
    expect(
        names == want_names,
        f"the fields differ from the contract: missing {missing}, extra {extra}"
        + ("" if missing or extra else ", or their order"),
    )
    problems = _meaning_problems(mine, want)
    expect(not problems, "; ".join(problems[:3]) + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""))
    reference = fastavro.parse_schema(want)
    for record in _records():
        a, b = io.BytesIO(), io.BytesIO()
        try:
            fastavro.schemaless_writer(a, parsed, record)
        except Exception as exc:  # noqa: BLE001
            _fail(f"trip {record['trip_id']} does not fit your schema: {exc}")
        fastavro.schemaless_writer(b, reference, record)
        expect(a.getvalue() == b.getvalue(), f"trip {record['trip_id']} encodes differently from the contract")
    return f"{CONTRACT}, {len(names)} fields, each with the contract's type; 50 real trips encode to the same bytes"


def _fail(message: str) -> NoReturn:
    raise CheckFailed(message)


def _status_of(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None) or getattr(exc, "status", None)


def _unique_v1(tag: str) -> dict:
    """v1 with a doc of its own: new content for the registry, so it gets a new id."""
    return {**schemas.load(schemas.V1), "doc": f"One NYC TLC taxi trip (registered by the week 02 check {tag})."}


def _advance_ids(subject: str) -> int:
    """Register a throwaway schema under another subject first, so the next id is not 1 and ids differ from
    versions in the check's subject (a register that returns the version cannot pass by luck)."""
    decoy = {"type": "record", "name": f"Decoy{uuid.uuid4().hex[:8]}", "namespace": "lab.check", "fields": []}
    schemas.delete_subject(f"{subject}-decoy")
    return schemas.register(f"{subject}-decoy", decoy)


def check_register(register: Callable, subject: str) -> str:
    """`register(url, subject, schema)` POSTs the schema and returns the *id* the registry gave (not the version:
    the check makes them differ); registering it again returns the same id and adds no version."""
    schemas.delete_subject(subject)
    decoy_id = _advance_ids(subject)
    url = schema_registry.registry_url()
    schema = _unique_v1(uuid.uuid4().hex[:8])
    schema_id = call(register, url, subject, schema, refuse=SCHEMA_SHORTCUTS, hint=REST_HINT)
    schemas.delete_subject(f"{subject}-decoy")
    versions = schemas.versions(subject)
    expect(versions == [1], f"the registry holds versions {versions} of {subject!r} after one registration, not [1]")
    latest = schemas.get(subject, "latest")
    expect(latest["id"] != latest["version"], f"the registry gave id {latest['id']} after a decoy with {decoy_id}")
    expect(
        schema_id == latest["id"],
        f"your register returned {schema_id!r}"
        + (" — that is the version" if schema_id == latest["version"] else "")
        + f"; the registry gave id {latest['id']} (read it from the JSON answer: resp.json()['id'])",
    )
    again = call(register, url, subject, schema, refuse=SCHEMA_SHORTCUTS, hint=REST_HINT)
    expect(
        again == schema_id and schemas.versions(subject) == [1],
        f"registering the same schema again gave {again!r} and versions {schemas.versions(subject)}: "
        "ids identify content",
    )
    return f"{subject} v1 has id {schema_id} (not its version, 1); registering it again returns the same id"


def _lab_register(url: str, subject: str, schema: dict) -> int:
    """The lab's version of the `register` exercise (for the evolution check when the learner's is not written)."""
    return schemas.register(subject, schema, url)


def _default_problem(field: dict) -> str | None:
    """Why a field's default does not fit its type (Avro: a union's default matches its *first* branch)."""
    import fastavro.validation

    if "default" not in field:
        return None
    avro_type = field.get("type")
    first = avro_type[0] if isinstance(avro_type, list) and avro_type else avro_type
    try:
        ok = fastavro.validation.validate(field["default"], first, raise_errors=False)
    except Exception:  # noqa: BLE001 - an unknown type: the registry will say
        return None
    if ok:
        return None
    shown = first if isinstance(first, str) else _show(first)
    if isinstance(avro_type, list):
        fix = ' (a union\'s default matches its first branch: put "null" first)'
    else:
        fix = f' (give a {shown} default, or make the field nullable: ["null", "{shown}"] with default None)'
    return f"the default of `{field.get('name')}` is not a {shown} ({field['default']!r}){fix}"


def _registry_says(what: str, call_it: Callable):
    """A registry call the check makes about the learner's schema; the registry's refusal becomes the ❌ line."""
    try:
        return call_it()
    except LabError as exc:
        _fail(f"{what}: {getattr(exc, 'message', exc)}")


def check_evolution(
    register: Callable, evolve: Callable[[dict], dict], break_it: Callable[[dict], dict], subject: str
) -> str:
    """Under BACKWARD, the learner's evolution registers as v2 (new fields with valid defaults) and their breaking
    change is refused with HTTP 409 (their `register` raises), leaving the subject at two versions. Gradable without
    the register exercise: the lab's stands in when the learner's is not written."""
    url = schema_registry.registry_url()
    register = learner.fallback(register, _lab_register, "register (the previous exercise)", on=())
    schemas.delete_subject(subject)
    schemas.set_compatibility(subject, "BACKWARD")
    v1 = schemas.load(schemas.V1)
    schemas.register(subject, v1)
    v2 = call(evolve, json.loads(json.dumps(v1)), refuse=SCHEMA_SHORTCUTS, hint=SCHEMA_HINT)
    old = {f["name"] for f in v1["fields"]}
    added = [f for f in (v2 or {}).get("fields", []) if f.get("name") not in old]
    expect(added, "your evolution adds no field: append one (a nullable type with a default)")
    expect(all("default" in f for f in added), f"{[f['name'] for f in added if 'default' not in f]} have no default")
    bad_defaults = [p for p in map(_default_problem, added) if p]
    expect(not bad_defaults, "; ".join(bad_defaults))
    compatible = _registry_says("the registry refuses your evolution", lambda: schemas.check_compatible(subject, v2))
    expect(compatible, "the registry says your evolution is not BACKWARD compatible")
    call(register, url, subject, v2, refuse=SCHEMA_SHORTCUTS, hint=REST_HINT)
    expect(
        schemas.versions(subject) == [1, 2], f"{subject!r} has versions {schemas.versions(subject)} after the evolution"
    )
    bad = call(break_it, json.loads(json.dumps(v1)), refuse=SCHEMA_SHORTCUTS, hint=SCHEMA_HINT)
    expect(isinstance(bad, dict), "break_it must return the schema (a dict)")
    refused = _registry_says(
        "your breaking change is not even a valid schema (break compatibility, not the syntax)",
        lambda: not schemas.check_compatible(subject, bad),
    )
    expect(
        refused,
        "the registry finds your breaking change compatible: add a field *without* a default (or change a type)",
    )
    try:
        answer = register(url, subject, bad)
    except CheckFailed:
        raise
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


def _v2_message(subject: str) -> bytes:
    """A trip framed with the v2 schema (one field more than v1): decoding it needs the *writer's* schema, by id."""
    trip = {**_records(1)[0], "trip_type": 2}
    schema_id = schemas.register(subject, schemas.load(schemas.V2))
    return wire.frame(schema_id, _encode(trip, schemas.load(schemas.V2)))


def _encode(record: dict, schema: dict) -> bytes:
    import fastavro

    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, fastavro.parse_schema(schema), record)
    return buf.getvalue()


def _judge_decoded(message: bytes, answer) -> tuple[int, dict]:
    expect(isinstance(answer, tuple) and len(answer) == 2, "return a tuple: (schema_id, record)")
    schema_id, record = answer
    want_id, _body = wire.unframe(message)
    expect(schema_id == want_id, f"the schema id is bytes 1–4, big-endian: expected {want_id}, got {schema_id}")
    want = wire.decode(message, schemas.by_id(want_id))
    missing = sorted(set(want) - set(record or {}))
    expect(
        isinstance(record, dict) and record == want,
        "the record differs from what the writer wrote"
        + (f" (no {missing}: decode with the writer's schema, lab.schemas.by_id(id))" if missing else "")
        + f"; decode bytes 5… with fastavro.schemaless_reader (got {str(record)[:80]})",
    )
    return schema_id, record


def check_decoded(message: bytes, decode_frame) -> str:
    """`decode_frame(message)` gives (schema id, record) of a framed message, decoded by hand — for the notebook's
    message and for one the check frames with the v2 schema (so only the writer's schema, fetched by id, decodes it
    right). The old form, `check_decoded(message, (schema_id, record))`, judges one answer."""
    if not callable(decode_frame):
        schema_id, record = _judge_decoded(message, decode_frame)
        return f"schema id {schema_id}, trip {record['trip_id']}: decoded by hand"
    hint = "struct.unpack and fastavro.schemaless_reader"
    schema_id, record = _judge_decoded(
        message, call(decode_frame, message, refuse=("lab.wire.*", "lab.decode.*"), hint=hint)
    )
    subject = f"lab-check-decode-{uuid.uuid4().hex[:8]}-value"
    try:
        other = _v2_message(subject)
        other_id, _ = _judge_decoded(other, call(decode_frame, other, refuse=("lab.wire.*", "lab.decode.*"), hint=hint))
    finally:
        schemas.delete_subject(subject)
    return f"schema ids {schema_id} and {other_id} (a v2 trip, trip_type included): both frames decoded by hand"
