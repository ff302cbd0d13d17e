"""Consumer-side decoding of Confluent-framed Avro trips: writer schema by id, v1 reader schema, validation.

Used inside Spark (`mapInPandas`, one pandas batch at a time) and by plain Python: the same function
turns Kafka values into trip columns plus a quarantine `reason` for every record that cannot be used.
The streaming job adds a fast path (lab.fastpath): Spark's own Avro reader takes the records that are
certainly good, and this module's decoder only sees the others. It stays the judge of every record.
Quarantine reasons: ``too_short`` / ``bad_magic`` (not the Confluent wire format),
``unknown_schema_id`` (the registry has no schema with that id), ``undecodable`` (the body does not
match its writer schema, or has trailing bytes), and lab.data's validation reasons.
"""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Callable, Iterable, Iterator

import pandas as pd

from lab import config
from lab.errors import ServiceNotReady, StreamError
from lab.pipeline import data
from lab.wait import until

READER_SCHEMA = config.RESOURCES / "avro" / "taxi_trip.avsc"
# what the windows need of an accepted trip, with its Spark type (the job's hot path: few columns)
TRIP_FIELDS = {
    "pickup_us": "long",
    "pu_location_id": "int",
    "passenger_count": "int",
    "fare_amount": "double",
    "tip_amount": "double",
    "trip_distance": "double",
    "total_amount": "double",
}
TRIP_SCHEMA = ", ".join(f"{name} {kind}" for name, kind in TRIP_FIELDS.items())
# every record, decoded or not: the trip columns plus where it came from and why it cannot be used
SPARK_SCHEMA = (
    f"trip_id string, {TRIP_SCHEMA}, topic string, kafka_partition int, kafka_offset long, kafka_us long, "
    "schema_id int, reason string, detail string, value binary"
)
_PANDAS_TYPES = {"long": "Int64", "int": "Int32", "double": "float64"}

_writers: dict[tuple[str, int], object] = {}  # (registry url, id) -> parsed raw schema; per worker process
_reader = None


def raw_schema(schema: dict | str):
    """Parse an Avro schema with its timestamp logical types removed, so timestamps decode as plain longs.

    Micro-second longs go straight into Spark (`timestamp_micros`): no datetime objects, no time zones.
    """
    import fastavro

    doc = json.loads(schema) if isinstance(schema, str) else copy.deepcopy(schema)
    for field in doc.get("fields", []):
        t = field["type"]
        if isinstance(t, dict) and t.get("logicalType") == "timestamp-micros":
            field["type"] = "long"
    return fastavro.parse_schema(doc, named_schemas={})


def reader_schema():
    """The v1 reader schema (lab/resources/avro/taxi_trip.avsc), parsed once per process."""
    global _reader
    if _reader is None:
        _reader = raw_schema(READER_SCHEMA.read_text())
    return _reader


REGISTRY_WAIT_S = 120.0  # how long a decoding task waits for a registry that does not answer, then stops the job


def registry_lookup(
    registry_url: str, timeout: float = 10.0, wait: float = REGISTRY_WAIT_S, ready_url: str | None = None
) -> Callable[[int], object | None]:
    """A schema-id → parsed writer schema function that asks the registry (GET /schemas/ids/{id}, through the pinned
    SchemaRegistryClient) once per id.

    Unknown ids (HTTP 404) give None and are not cached, so an id registered later is found then. A registry
    that does not answer is waited for (up to `wait` seconds, polled): the record is neither quarantined nor
    dropped. After that, StreamError: the micro-batch is not committed, and the job restarted from its
    checkpoint once the registry is back decodes the same records again.

    A registry that has just restarted answers before it has read back its storage (Apicurio's KafkaSQL
    replays its journal topic, in order): for a while it says 404 to ids it has, the newest last. So a 404 is
    believed only when the registry's `ready_url` (/health/ready, 503 while loading) answers 200; until then the
    registry counts as not answering and is waited for like one that is down. Without `ready_url` (the kind
    target seen from outside the cluster) a 404 is believed at once.
    """
    import requests  # the readiness probe only: the registry's API goes through its pinned client
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.common._httpx_compat import httpx  # the client's own HTTP library
    from confluent_kafka.schema_registry.error import SchemaRegistryError

    # one try per call (max.retries 0): the waiting is `until`'s, bounded by `wait`; the client's cache is not used
    # as a source of truth (_writers holds the parsed schemas)
    registry = SchemaRegistryClient({"url": registry_url, "timeout": timeout, "max.retries": 0})

    def answer(schema_id: int) -> str | SchemaRegistryError | None:
        """The writer schema's text; None for an id the (loaded) registry does not have; its refusal otherwise."""
        try:
            return registry.get_schema(schema_id).schema_str
        except httpx.TransportError as exc:  # no answer: waited for
            raise ConnectionError(f"{type(exc).__name__}: {exc}") from None
        except SchemaRegistryError as exc:
            status = exc.http_status_code
            if status >= 500 or status < 0:
                raise ConnectionError(f"HTTP {status} from the registry") from None
            if status != 404:
                return exc
        if ready_url is not None:
            health = requests.get(ready_url, timeout=timeout)
            if health.status_code != 200:
                raise ConnectionError(
                    f"the registry is still loading its schemas (/health/ready: {health.status_code})"
                )
        return None

    def lookup(schema_id: int):
        key = (registry_url, schema_id)
        if key not in _writers:
            try:
                (found,) = until(lambda: (answer(schema_id),), service="schema_registry", timeout=wait, interval=1.0)
            except ServiceNotReady as exc:
                raise StreamError(
                    f"schema registry at {registry_url} did not answer for {wait:.0f}s while decoding schema id "
                    f"{schema_id} ({exc.last_status}); the job waited, then stopped without committing this "
                    "micro-batch: nothing is lost. Start the registry (`lab up schema_registry`) and restart the "
                    "job: it resumes from its checkpoint"
                ) from None
            if found is None:
                return None
            if isinstance(found, SchemaRegistryError):
                raise StreamError(
                    f"schema registry at {registry_url} refused schema id {schema_id} (HTTP {found.http_status_code}"
                    f", code {found.error_code}): {found.error_message}"
                )
            _writers[key] = raw_schema(found)
        return _writers[key]

    return lookup


def decode_values(values: Iterable[bytes | None], lookup: Callable[[int], object | None], reader=None) -> pd.DataFrame:
    """Decode Confluent-framed Avro values; one row per value, with `schema_id`, `reason` and `detail`.

    `reason` is None for a decoded record. Records written with a newer compatible schema (v2) are
    resolved to the reader schema (v1) by fastavro, so new fields are dropped and missing ones defaulted.
    """
    import fastavro

    reader = reader if reader is not None else reader_schema()
    recs, ids, reasons, details = [], [], [], []
    misses: dict[int, object] = {}
    resolve: dict[int, object] = {}  # schema id -> reader schema to resolve to, None when the writer *is* the reader
    for v in values:
        rec, sid, reason, detail = None, None, None, None
        if v is None or len(v) < 5:
            reason, detail = "too_short", f"{0 if v is None else len(v)} bytes; a Confluent frame has at least 5"
        elif v[0] != 0:
            reason, detail = "bad_magic", f"first byte 0x{v[0]:02x}, expected 0x00"
        else:
            sid = int.from_bytes(v[1:5], "big")
            writer = misses.get(sid) if sid in misses else lookup(sid)
            if writer is None:
                misses[sid] = None
                reason, detail = "unknown_schema_id", f"the registry has no schema with id {sid}"
            else:
                if sid not in resolve:
                    resolve[sid] = None if writer == reader else reader  # resolution costs ~10% per record
                body = io.BytesIO(v[5:])
                try:
                    rec = fastavro.schemaless_reader(body, writer, resolve[sid])
                    if body.tell() != len(v) - 5:
                        rec, reason = None, "undecodable"
                        detail = f"{len(v) - 5 - body.tell()} trailing bytes after the record (wrong schema id?)"
                except Exception as exc:  # noqa: BLE001 - fastavro raises many types on garbage
                    reason, detail = "undecodable", f"{type(exc).__name__}: {exc}"[:300]
        recs.append(rec or {})
        ids.append(sid)
        reasons.append(reason)
        details.append(detail)
    out = pd.DataFrame.from_records(recs, columns=[f["name"] for f in reader["fields"]])
    out["schema_id"] = pd.array(ids, dtype="Int64")
    out["reason"] = reasons
    out["detail"] = details
    return out


def validate(trips: pd.DataFrame, zone_ids: set[int]) -> pd.DataFrame:
    """Set `reason`/`detail` of decoded trips that break lab.data's rules (the producer's rules).

    `pickup_outside_month` cannot apply to an unbounded stream: lab.data.validate_by_month checks each
    pickup month against itself; every other rule is lab.data.validate's, in the same order.
    """
    ok = trips["reason"].isna()
    if not ok.any():
        return trips
    good = data.typed(trips[ok], timestamp_unit="us")  # beyond pandas' range: NaT → missing_timestamp
    _, rejected = data.validate_by_month(good, zone_ids)
    trips.loc[rejected.index, "reason"] = rejected["reason"]
    trips.loc[rejected.index, "detail"] = rejected["reason_detail"]
    return trips


def decode_batches(
    batches: Iterator[pd.DataFrame], registry_url: str, zone_ids: set[int], ready_url: str | None = None
) -> Iterator[pd.DataFrame]:
    """The `mapInPandas` function: Kafka rows (value, topic, partition, offset, kafka_us) → SPARK_SCHEMA rows.

    `ready_url`: the registry's /health/ready (see registry_lookup)."""
    lookup = registry_lookup(registry_url, ready_url=ready_url)
    for pdf in batches:
        trips = validate(decode_values(pdf["value"].tolist(), lookup), zone_ids)
        trips.index = pdf.index
        out = pd.DataFrame(
            {
                "trip_id": trips["trip_id"],
                **{
                    c: pd.to_numeric(trips["pickup_ts" if c == "pickup_us" else c]).astype(_PANDAS_TYPES[kind])
                    for c, kind in TRIP_FIELDS.items()
                },
                "topic": pdf["topic"],
                "kafka_partition": pdf["partition"].astype("int32"),
                "kafka_offset": pdf["offset"].astype("int64"),
                "kafka_us": pdf["kafka_us"].astype("int64"),
                "schema_id": trips["schema_id"].astype("Int32"),
                "reason": trips["reason"],
                "detail": trips["detail"],
                # keep the original bytes only for quarantined records (nothing lost, nothing copied needlessly)
                "value": pdf["value"].where(trips["reason"].notna(), None),
            }
        )
        yield out
