"""Wrong (the reader's schema, not the writer's): decodes every frame with the v1 contract."""

import io
import struct

import fastavro

import lab

EXERCISE = "decode"
EXPECT = "❌"
KEYWORDS = ("trip_type", "writer's schema")


def decode_frame(message):
    (sid,) = struct.unpack(">I", message[1:5])
    return sid, fastavro.schemaless_reader(io.BytesIO(message[5:]), fastavro.parse_schema(lab.schemas.load()))
