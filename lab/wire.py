"""The Confluent wire format: magic byte 0, 4-byte big-endian schema id, Avro binary body.

Two encoders produce the same bytes: `to_dict` feeds confluent-kafka's AvroSerializer (the
reference, one record at a time through fastavro), and `encode_frames` encodes a whole DataFrame
at once with numpy (zig-zag varints, little-endian doubles, length-prefixed UTF-8), which is what
lets one Python process keep up with a broker. tests/test_produce_unit.py checks they agree.
"""
from __future__ import annotations

import io
import math
import struct
from datetime import datetime, timezone

import numpy as np
import pandas as pd

MAGIC = 0
_EPOCH = datetime(1970, 1, 1)


def frame(schema_id: int, body: bytes) -> bytes:
    """Prefix an Avro body with the 5-byte Confluent header.

    >>> frame(7, b"\\x02").hex()
    '000000000702'
    """
    return struct.pack(">bI", MAGIC, schema_id) + body


def unframe(message: bytes) -> tuple[int, bytes]:
    """Split a Confluent-framed message into (schema id, Avro body).

    >>> unframe(bytes.fromhex("000000000702"))
    (7, b'\\x02')
    """
    if len(message) < 5 or message[0] != MAGIC:
        raise ValueError(f"not a Confluent frame (first byte {message[:1].hex() or 'none'}, length {len(message)})")
    return struct.unpack(">I", message[1:5])[0], message[5:]


def decode(message: bytes, schema: dict) -> dict:
    """Decode one framed message by hand with fastavro (writer schema = `schema`)."""
    import fastavro

    _, body = unframe(message)
    return fastavro.schemaless_reader(io.BytesIO(body), fastavro.parse_schema(schema))


def to_dict(row, ctx=None) -> dict:
    """A trip row (dict, namedtuple or Series with the Avro field names) as the dict AvroSerializer takes.

    Nulls (None, NaN, NaT, pd.NA) become None; timestamps become naive datetimes (read as UTC by fastavro).
    """
    items = row._asdict().items() if hasattr(row, "_asdict") else row.items()
    out = {}
    for key, value in items:
        if value is None or value is pd.NaT or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            out[key] = None
        elif isinstance(value, pd.Timestamp):
            out[key] = value.to_pydatetime()
        elif isinstance(value, np.integer):
            out[key] = int(value)
        elif isinstance(value, np.floating):
            out[key] = float(value)
        else:
            out[key] = value
    return out


def _varint(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Zig-zag varints of int64 values: an (n, w) byte matrix and the used length of each row."""
    u = ((values.astype(np.int64) << 1) ^ (values.astype(np.int64) >> 63)).view(np.uint64)
    cols, length = [], np.ones(len(u), np.int64)
    for _ in range(10):
        more = (u >> np.uint64(7)) != 0
        cols.append(((u & np.uint64(0x7F)).astype(np.uint8)) | (more.astype(np.uint8) << 7))
        length += more
        u = u >> np.uint64(7)
        if not more.any():
            break
    return np.stack(cols, axis=1), length


Part = tuple[np.ndarray, "np.ndarray | None"]


def _column(series: pd.Series, avro_type) -> list[Part]:
    """Encode one column as parts: (bytes matrix, used length per row, or None when all are full width)."""
    n = len(series)
    if isinstance(avro_type, list):  # a union with null, e.g. ["null", "int"]
        if len(avro_type) != 2 or "null" not in avro_type:
            raise TypeError(f"only [null, T] unions are supported, not {avro_type}")
        other = avro_type[1 - avro_type.index("null")]
        null = series.isna().to_numpy()
        tag = np.where(null, 2 * avro_type.index("null"), 2 * avro_type.index(other)).astype(np.uint8)
        parts = [(tag[:, None], None)]
        for mat, length in _column(series.where(~null, _filler(other)), other):
            full = np.full(n, mat.shape[1]) if length is None else length
            parts.append((mat, np.where(null, 0, full)))
        return parts
    kind = _kind(avro_type)
    if kind == "double":
        return [(np.ascontiguousarray(series.to_numpy(np.float64)).view(np.uint8).reshape(n, 8), None)]
    if kind in ("int", "long"):
        return [_varint(series.to_numpy(np.int64))]
    if kind == "timestamp-micros":
        return [_varint(series.to_numpy("datetime64[us]").view(np.int64))]
    if kind == "string":
        codes, uniques = pd.factorize(series, use_na_sentinel=False)
        if len(uniques) * 4 < n:  # few distinct values (service, flags): encode each once
            head, text = _strings(list(uniques))
            return [(head[0][codes], head[1][codes]), (text[0][codes], text[1][codes])]
        return list(_strings(series.tolist()))
    raise TypeError(f"encode_frames does not support Avro type {avro_type!r}; use AvroSerializer")


def _strings(values: list) -> tuple[Part, Part]:
    """Length varints and UTF-8 text of python strings."""
    raw = [v.encode() for v in values]
    sizes = np.fromiter(map(len, raw), np.int64, count=len(raw))
    width = max(int(sizes.max()) if len(raw) else 0, 1)
    return _varint(sizes), (np.array(raw, dtype=f"S{width}").view(np.uint8).reshape(len(raw), width), sizes)


def _kind(avro_type) -> str:
    if isinstance(avro_type, dict):
        return avro_type.get("logicalType") or avro_type["type"]
    return avro_type


def _filler(avro_type):
    return {"string": "", "double": 0.0, "timestamp-micros": pd.Timestamp(0)}.get(_kind(avro_type), 0)


def encode_frames(df: pd.DataFrame, schema: dict, schema_id: int) -> tuple[bytes, np.ndarray]:
    """Confluent frames for every row of `df`, vectorised.

    Parameters
    ----------
    df : rows with (at least) the columns named by the record schema's fields
    schema : the Avro record schema (a dict, as json.load gives it)
    schema_id : the registry's id for that schema

    Returns
    -------
    (buffer, offsets) : message i is ``buffer[offsets[i]:offsets[i + 1]]``
    """
    n = len(df)
    header = np.frombuffer(frame(schema_id, b""), np.uint8)
    parts = [(np.broadcast_to(header, (n, 5)), None)]
    parts += [part for field in schema["fields"] for part in _column(df[field["name"]], field["type"])]
    width = sum(mat.shape[1] for mat, _ in parts)
    grid, keep = np.empty((n, width), np.uint8), np.ones((n, width), bool)
    sizes, col = np.zeros(n, np.int64), 0
    for mat, length in parts:
        w = mat.shape[1]
        grid[:, col:col + w] = mat
        if length is None:
            sizes += w
        else:
            np.less(np.arange(w)[None, :], length[:, None], out=keep[:, col:col + w])
            sizes += length
        col += w
    body = grid[keep]  # row-major: row by row, field by field, padding dropped
    offsets = np.zeros(n + 1, np.int64)
    np.cumsum(sizes, out=offsets[1:])
    return body.tobytes(), offsets
