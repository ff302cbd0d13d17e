"""Wrong (byte order): the id read little-endian."""

import io
import struct

import fastavro

import lab

EXERCISE = "decode"
EXPECT = "❌"
KEYWORDS = ("big-endian",)


def decode_frame(message):
    (sid,) = struct.unpack("<I", message[1:5])
    (right,) = struct.unpack(">I", message[1:5])
    return sid, fastavro.schemaless_reader(io.BytesIO(message[5:]), fastavro.parse_schema(lab.schemas.by_id(right)))
