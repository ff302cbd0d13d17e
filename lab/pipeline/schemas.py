"""Avro schemas of the lab and the registry's Confluent-compatible REST API (subjects, versions, compatibility)."""

from __future__ import annotations

import json

from lab import config
from lab.errors import LabError, SchemaRejected

AVRO_DIR = config.RESOURCES / "avro"
V1, V2, V2_INCOMPATIBLE = "taxi_trip", "taxi_trip_v2", "taxi_trip_v2_incompatible"
LEVELS = ("NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE")
_CONTENT_TYPE = {"Content-Type": "application/vnd.schemaregistry.v1+json"}


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
    from lab.services import schema_registry

    return (url or schema_registry.registry_url()).rstrip("/") + path


def _call(method: str, path: str, subject: str, url: str | None = None, **kwargs) -> dict | list:
    """One REST call; a registry error becomes SchemaRejected with its HTTP status, error_code and message."""
    import requests

    try:
        resp = requests.request(method, _url(path, url), headers=_CONTENT_TYPE, timeout=15, **kwargs)
    except requests.RequestException as exc:
        raise LabError(f"schema registry at {_url('', url)} is not reachable ({exc}); is it running? `lab up`") from exc
    if resp.ok:
        return resp.json() if resp.content else {}
    raise rejected(subject, resp.status_code, resp.text)


def rejected(subject: str, status: int, text: str) -> SchemaRejected:
    """SchemaRejected from a registry error body ``{"error_code": …, "message": …}`` (or any text).

    >>> str(rejected("s", 409, '{"error_code": 409, "message": "Incompatible artifact"}'))
    "registry rejected schema for 's' (HTTP 409, code 409): Incompatible artifact"
    """
    try:
        body = json.loads(text)
        code, message = body.get("error_code"), body.get("message") or text
    except (ValueError, AttributeError):
        code, message = None, text.strip() or "(empty answer)"
    return SchemaRejected(subject, status, code, message)


def register(subject: str, schema: dict | str, url: str | None = None) -> int:
    """Register `schema` (dict, JSON text or shipped name) under `subject`; returns the schema id.

    Registering the same schema again returns the same id. An incompatible schema raises SchemaRejected.
    """
    body = {"schema": schema_str(schema), "schemaType": "AVRO"}
    return int(_call("POST", f"/subjects/{subject}/versions", subject, url, json=body)["id"])


def set_compatibility(subject: str, level: str = config.DEFAULT_COMPATIBILITY, url: str | None = None) -> str:
    """Set the subject's compatibility level (BACKWARD, FORWARD, FULL, NONE …); returns the level now in force."""
    if level not in LEVELS:
        raise LabError(f"unknown compatibility level {level!r}: choose one of {', '.join(LEVELS)}")
    answer = _call("PUT", f"/config/{subject}", subject, url, json={"compatibility": level})
    return answer.get("compatibility", level)


def compatibility(subject: str, url: str | None = None) -> str:
    """The subject's compatibility level, or the global default when the subject has none."""
    try:
        return _call("GET", f"/config/{subject}", subject, url)["compatibilityLevel"]
    except SchemaRejected as exc:
        if exc.status != 404:
            raise
        return _call("GET", "/config", subject, url)["compatibilityLevel"]


def subjects(url: str | None = None) -> list[str]:
    """Every subject in the registry."""
    return list(_call("GET", "/subjects", "*", url))


def versions(subject: str, url: str | None = None) -> list[int]:
    """The subject's version numbers (empty when the subject does not exist)."""
    try:
        return [int(v) for v in _call("GET", f"/subjects/{subject}/versions", subject, url)]
    except SchemaRejected as exc:
        if exc.status == 404:
            return []
        raise


def get(subject: str, version: int | str = "latest", url: str | None = None) -> dict:
    """One version of a subject: ``{"subject", "version", "id", "schema"}`` with ``schema`` parsed to a dict."""
    answer = dict(_call("GET", f"/subjects/{subject}/versions/{version}", subject, url))
    answer["schema"] = json.loads(answer["schema"])
    return answer


def by_id(schema_id: int, url: str | None = None) -> dict:
    """The schema with this id (what a consumer looks up from the 4 bytes after the magic byte)."""
    return json.loads(_call("GET", f"/schemas/ids/{schema_id}", str(schema_id), url)["schema"])


def check_compatible(subject: str, schema: dict | str, version: int | str = "latest", url: str | None = None) -> bool:
    """Would `schema` be accepted under the subject's compatibility rule? (asks the registry, registers nothing)."""
    if not versions(subject, url):
        return True  # nothing to be compatible with yet
    body = {"schema": schema_str(schema), "schemaType": "AVRO"}
    return bool(
        _call("POST", f"/compatibility/subjects/{subject}/versions/{version}", subject, url, json=body)["is_compatible"]
    )


def delete_subject(subject: str, url: str | None = None) -> list[int]:
    """Delete a subject for good (soft, then permanent); returns the deleted versions ([] if it did not exist)."""
    try:
        gone = _call("DELETE", f"/subjects/{subject}", subject, url)
        _call("DELETE", f"/subjects/{subject}", subject, url, params={"permanent": "true"})
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

    from lab.pipeline import wire

    return AvroSerializer(
        client(url), schema_str(schema), to_dict=wire.to_dict, conf={"auto.register.schemas": auto_register}
    )


def deserializer(url: str | None = None):
    """confluent-kafka's AvroDeserializer: looks the writer schema up by the id in each frame."""
    from confluent_kafka.schema_registry.avro import AvroDeserializer

    return AvroDeserializer(client(url))
