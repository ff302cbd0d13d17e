"""The Confluent wire format: magic byte 0, 4-byte big-endian schema id, Avro binary body.

Two encoders produce the same bytes: `to_dict` feeds confluent-kafka's AvroSerializer (the
reference, one record at a time through fastavro), and `encode_frames` encodes a whole DataFrame
at once with numpy (zig-zag varints, little-endian doubles, length-prefixed UTF-8), which is what
lets one Python process keep up with a broker. tests/unit/test_produce_unit.py checks they agree.
"""

from __future__ import annotations

import io
import math
import struct

import numpy as np
import pandas as pd

MAGIC = 0


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
    if isinstance(avro_type, list):  # a union with null, e.g. ["null", "int"]
        if len(avro_type) != 2 or "null" not in avro_type:
            raise TypeError(f"only [null, T] unions are supported, not {avro_type}")
        other = avro_type[1 - avro_type.index("null")]
        null, parts = _value_parts(series, other, nullable=True)
        tag = np.where(null, 2 * avro_type.index("null"), 2 * avro_type.index(other)).astype(np.uint8)
        return [(tag[:, None], None)] + [
            (mat, np.where(null, 0, mat.shape[1] if length is None else length)) for mat, length in parts
        ]
    return _value_parts(series, avro_type, nullable=False)[1]


def _value_parts(series: pd.Series, avro_type, nullable: bool) -> tuple[np.ndarray | None, list[Part]]:
    """(null mask or None, parts) of a non-union type; null rows get placeholder bytes the caller masks out."""
    kind, n = _kind(avro_type), len(series)
    if kind == "double":
        values = series.to_numpy(np.float64, na_value=np.nan)
        null = np.isnan(values) if nullable else None
        return null, [(values.view(np.uint8).reshape(n, 8), None)]
    if kind in ("int", "long"):
        null = series.isna().to_numpy() if nullable else None
        return null, [_varint(series.to_numpy(np.int64, na_value=0))]
    if kind == "timestamp-micros":
        values = series.to_numpy("datetime64[us]")
        null = np.isnat(values) if nullable else None
        return null, [_varint(values.view(np.int64))]
    if kind == "string":
        values = series.to_numpy(object)
        sample = pd.unique(values[:1000])
        if len(sample) * 4 < min(n, 1000):  # few distinct values (service, flags): encode each once
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
            (head, head_len), (text, size) = _strings(list(uniques) + [""])
            return (codes < 0) if nullable else None, [(head[codes], head_len[codes]), (text[codes], size[codes])]
        null = pd.isna(values) if nullable else None
        if null is not None and null.any():
            values = np.where(null, "", values)
        return null, list(_strings(values.tolist()))
    raise TypeError(f"encode_frames does not support Avro type {avro_type!r}; use AvroSerializer")


def _strings(values: list) -> tuple[Part, Part]:
    """Length varints and UTF-8 text (an (n, longest) byte matrix) of python strings."""
    raw = [v.encode() for v in values]
    sizes = np.fromiter(map(len, raw), np.int64, count=len(raw))
    width = max(int(sizes.max()) if len(raw) else 0, 1)
    flat = np.frombuffer(b"".join(raw) + bytes(width), np.uint8)
    starts = np.cumsum(sizes) - sizes
    text = flat[starts[:, None] + np.arange(width)]  # bytes past a string's end are masked out later
    return _varint(sizes), (text, sizes)


def _kind(avro_type) -> str:
    if isinstance(avro_type, dict):
        return avro_type.get("logicalType") or avro_type["type"]
    return avro_type


def encode_frames(df: pd.DataFrame, schema: dict, schema_id: int) -> list[bytes]:
    """Confluent frames (magic byte, schema id, Avro body) for every row of `df`, vectorised.

    Parameters
    ----------
    df : rows with (at least) the columns named by the record schema's fields
    schema : the Avro record schema (a dict, as json.load gives it)
    schema_id : the registry's id for that schema

    Returns
    -------
    One ``bytes`` message per row, in row order.
    """
    n = len(df)
    header = np.frombuffer(frame(schema_id, b""), np.uint8)
    parts = [(np.broadcast_to(header, (n, 5)), None)]
    parts += [part for field in schema["fields"] for part in _column(df[field["name"]], field["type"])]
    # A part whose used length is the same in every row (a constant varint, a never-null column) is fixed width.
    parts = [
        (mat[:, : int(length[0])], None) if length is not None and n and length.min() == length.max() else (mat, length)
        for mat, length in parts
    ]
    grid = np.empty((n, sum(mat.shape[1] for mat, _ in parts)), np.uint8)
    runs: list[list] = []  # [first column, width, used lengths or None]; neighbouring fixed parts merge
    col = 0
    for mat, length in parts:
        w = mat.shape[1]
        grid[:, col : col + w] = mat
        if length is None and runs and runs[-1][2] is None:
            runs[-1][1] += w
        else:
            runs.append([col, w, length])
        col += w
    # Rows whose variable parts have the same lengths share a layout: one fancy-index gather per layout.
    variable = [(w, length) for _, w, length in runs if length is not None]
    if math.prod(w + 1 for w, _ in variable) < 2**62:
        layout = np.zeros(n, np.int64)
        for w, length in variable:  # the variable lengths as one mixed-radix number
            layout = layout * (w + 1) + length
    else:  # too many wide variable parts for one int64: number the distinct length tuples instead
        layout = np.unique(np.stack([length for _, length in variable], axis=1), axis=0, return_inverse=True)[1].ravel()
    order = np.argsort(layout, kind="stable")
    bounds = np.flatnonzero(np.diff(layout[order])) + 1
    pieces: list[bytes] = []  # messages in layout order
    for rows in np.split(order, bounds) if n else []:
        cols = np.concatenate(
            [np.arange(c, c + (w if length is None else int(length[rows[0]]))) for c, w, length in runs]
        )
        block, size = np.take(np.take(grid, rows, axis=0), cols, axis=1).tobytes(), len(cols)
        pieces.extend([block[at : at + size] for at in range(0, len(block), size)])
    position = np.empty(n, np.int64)
    position[order] = np.arange(n)
    return [pieces[i] for i in position.tolist()]  # back to row order


def hexdump(message: bytes, width: int = 16, limit: int = 256) -> str:
    """A classic hex dump (offset, hex bytes, printable ASCII) of the first `limit` bytes.

    >>> print(hexdump(bytes.fromhex("000000000702") + b"taxi"))
    0000  00 00 00 00 07 02 74 61 78 69                    ......taxi
    """
    lines = []
    for at in range(0, min(len(message), limit), width):
        chunk = message[at : at + width]
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{at:04x}  {' '.join(f'{b:02x}' for b in chunk):<{width * 3}} {text}")
    if len(message) > limit:
        lines.append(f"… {len(message) - limit} more bytes")
    return "\n".join(lines)
