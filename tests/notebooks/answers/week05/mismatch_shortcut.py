"""Shortcut: the lab's own producer sends the trips again."""

from _mismatch import diagnose  # noqa: F401

import lab

EXERCISE = "mismatch"
EXPECT = "❌"
KEYWORDS = ("lab's own implementation", "produce_frame")


def fix(topic, trips):
    lab.produce.produce_frame(trips, topic=topic, dlq=f"{topic}-dlq", progress=False)
