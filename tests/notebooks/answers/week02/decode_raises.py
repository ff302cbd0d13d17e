"""Raises: bytes given to schemaless_reader where it wants a file-like object."""

import struct

import fastavro

import lab

EXERCISE = "decode"
EXPECT = "❌"
KEYWORDS = ("Your code raised", "decode_raises.py")


def decode_frame(message):
    (sid,) = struct.unpack(">I", message[1:5])
    return sid, fastavro.schemaless_reader(message[5:], fastavro.parse_schema(lab.schemas.by_id(sid)))
