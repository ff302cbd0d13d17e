"""Shortcut: the lab's unframe and decode."""

import lab

EXERCISE = "decode"
EXPECT = "❌"
KEYWORDS = ("lab.wire.unframe",)


def decode_frame(message):
    sid, _ = lab.wire.unframe(message)
    return sid, lab.wire.decode(message, lab.schemas.by_id(sid))
