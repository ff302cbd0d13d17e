"""Avro schemas of the lab and the registry's Confluent-compatible API through the pinned SchemaRegistryClient
(subjects, versions, compatibility; registry errors as SchemaRejected)."""

from __future__ import annotations

import json

from lab import config
from lab.errors import LabError, SchemaRejected
from lab.pipeline import wire
from lab.services import schema_registry

AVRO_DIR = config.RESOURCES / "avro"
V1, V2, V2_INCOMPATIBLE = "taxi_trip", "taxi_trip_v2", "taxi_trip_v2_incompatible"
LEVELS = ("NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE")


def names() -> list[str]:
    """The schema files shipped with the lab (without .avsc)."""
    return sorted(p.stem for p in AVRO_DIR.glob("*.avsc"))


def load(name: str = V1) -> dict:
    """A shipped Avro schema as a dict (``taxi_trip``, ``taxi_trip_v2``, ``taxi_trip_v2_incompatible``).

    >>> load()["name"], len(load()["fields"])
    ('TaxiTrip', 22)
    """
    path = AVRO_DIR / f"{name}.avsc"
    if not path.is_file():
        raise LabError(f"no schema {name!r}; the lab ships {', '.join(names())}")
    return json.loads(path.read_text())


def schema_str(schema: dict | str) -> str:
    """The schema as the JSON text the registry stores (a name of a shipped schema is loaded first)."""
    if isinstance(schema, str) and not schema.lstrip().startswith("{"):
        schema = load(schema)
    return schema if isinstance(schema, str) else json.dumps(schema)


def _url(path: str, url: str | None = None) -> str:
    return (url or schema_registry.registry_url()).rstrip("/") + path


def _ask(subject: str, url: str | None, method: str, *args, **kwargs):
    """One call of the pinned SchemaRegistryClient (a fresh one: no client-side cache can hide what another client
    changed); a registry error becomes SchemaRejected with its HTTP status, error_code and message, an unreachable
    registry a LabError saying to start it."""
    from confluent_kafka.schema_registry.common._httpx_compat import httpx  # the client's own HTTP library
    from confluent_kafka.schema_registry.error import SchemaRegistryError

    try:
        fresh = not (url or "").startswith("mock://")  # the in-process mock keeps its schemas in its one instance
        return getattr(client(url, cached=not fresh), method)(*args, **kwargs)
    except SchemaRegistryError as exc:
        raise rejected(subject, exc) from None
    except httpx.TransportError as exc:  # the registry did not answer
        raise LabError(f"schema registry at {_url('', url)} is not reachable ({exc}); is it running? `lab up`") from exc


def rejected(subject: str, exc) -> SchemaRejected:
    """SchemaRejected from the client's SchemaRegistryError (HTTP status, the registry's error_code and message).

    >>> from confluent_kafka.schema_registry.error import SchemaRegistryError
    >>> str(rejected("s", SchemaRegistryError(409, 409, "Incompatible artifact")))
    "registry rejected schema for 's' (HTTP 409, code 409): Incompatible artifact"
    """
    code = exc.error_code if exc.error_code not in (None, -1) else None  # -1: the answer was no registry error body
    return SchemaRejected(subject, exc.http_status_code, code, (exc.error_message or "").strip() or "(empty answer)")


def _avro(schema: dict | str):
    from confluent_kafka.schema_registry import Schema

    return Schema(schema_str(schema), "AVRO")


def register(subject: str, schema: dict | str, url: str | None = None) -> int:
    """Register `schema` (dict, JSON text or shipped name) under `subject`; returns the schema id.

    Registering the same schema again returns the same id. An incompatible schema raises SchemaRejected.
    """
    return int(_ask(subject, url, "register_schema", subject, _avro(schema)))


def set_compatibility(subject: str, level: str = config.DEFAULT_COMPATIBILITY, url: str | None = None) -> str:
    """Set the subject's compatibility level (BACKWARD, FORWARD, FULL, NONE …); returns the level now in force."""
    if level not in LEVELS:
        raise LabError(f"unknown compatibility level {level!r}: choose one of {', '.join(LEVELS)}")
    answer = _ask(subject, url, "set_compatibility", subject, level)  # the registry's answer: {"compatibility": …}
    return answer.get("compatibility", level) if isinstance(answer, dict) else answer or level


def compatibility(subject: str, url: str | None = None) -> str:
    """The subject's compatibility level, or the global default when the subject has none."""
    try:
        return _ask(subject, url, "get_compatibility", subject)
    except SchemaRejected as exc:
        if exc.status != 404:
            raise
        return _ask(subject, url, "get_compatibility")


def subjects(url: str | None = None) -> list[str]:
    """Every subject in the registry."""
    return list(_ask("*", url, "get_subjects"))


def versions(subject: str, url: str | None = None) -> list[int]:
    """The subject's version numbers (empty when the subject does not exist)."""
    try:
        return [int(v) for v in _ask(subject, url, "get_versions", subject)]
    except SchemaRejected as exc:
        if exc.status == 404:
            return []
        raise


def get(subject: str, version: int | str = "latest", url: str | None = None) -> dict:
    """One version of a subject: ``{"subject", "version", "id", "schema"}`` with ``schema`` parsed to a dict."""
    version = version if version == "latest" else int(version)
    found = _ask(subject, url, "get_version", subject, version)
    return {
        "subject": found.subject,
        "version": found.version,
        "id": found.schema_id,
        "schema": json.loads(found.schema.schema_str),
    }


def by_id(schema_id: int, url: str | None = None) -> dict:
    """The schema with this id (what a consumer looks up from the 4 bytes after the magic byte)."""
    return json.loads(_ask(str(schema_id), url, "get_schema", int(schema_id)).schema_str)


def check_compatible(subject: str, schema: dict | str, version: int | str = "latest", url: str | None = None) -> bool:
    """Would `schema` be accepted under the subject's compatibility rule? (asks the registry, registers nothing)."""
    if not versions(subject, url):
        return True  # nothing to be compatible with yet
    return bool(_ask(subject, url, "test_compatibility", subject, _avro(schema), version))


def delete_subject(subject: str, url: str | None = None) -> list[int]:
    """Delete a subject for good (soft, then permanent); returns the deleted versions ([] if it did not exist)."""
    try:
        gone = _ask(subject, url, "delete_subject", subject)
        _ask(subject, url, "delete_subject", subject, permanent=True)
    except SchemaRejected as exc:
        if exc.status == 404:
            return []
        raise
    return [int(v) for v in gone]


_clients: dict[str, object] = {}


def client(url: str | None = None, cached: bool = True):
    """A confluent-kafka SchemaRegistryClient for the registry (cached per URL unless `cached=False`, a fresh one with
    no client-side schema cache); ``mock://name`` gives the in-process mock."""
    from confluent_kafka.schema_registry import SchemaRegistryClient

    url = url or _url("")
    if not cached:
        return SchemaRegistryClient.new_client({"url": url})
    if url not in _clients:
        _clients[url] = SchemaRegistryClient.new_client({"url": url})
    return _clients[url]


def serializer(schema: dict | str = V1, url: str | None = None, auto_register: bool = True):
    """confluent-kafka's AvroSerializer for a trip schema (rows → Avro dicts with lab.wire.to_dict).

    It registers the schema under ``<topic>-value`` on first use and frames each record itself.
    """
    from confluent_kafka.schema_registry.avro import AvroSerializer

    return AvroSerializer(
        client(url), schema_str(schema), to_dict=wire.to_dict, conf={"auto.register.schemas": auto_register}
    )


def deserializer(url: str | None = None):
    """confluent-kafka's AvroDeserializer: looks the writer schema up by the id in each frame."""
    from confluent_kafka.schema_registry.avro import AvroDeserializer

    return AvroDeserializer(client(url))
