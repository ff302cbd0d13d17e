"""Hangs: reads the varint-free body "until the end" with a position that never advances."""

import io
import struct

import fastavro

import lab

EXERCISE = "decode"
EXPECT = "❌"
KEYWORDS = ("decode_frame", "did not return within")
TIMEOUT_S = 3


def decode_frame(message):
    (sid,) = struct.unpack(">I", message[1:5])
    body, pos = message[5:], 0
    while pos < len(body):
        pos += 0  # meant: the bytes read
    return sid, fastavro.schemaless_reader(io.BytesIO(body), fastavro.parse_schema(lab.schemas.by_id(sid)))
