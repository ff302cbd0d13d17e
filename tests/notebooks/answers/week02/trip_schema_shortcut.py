"""Shortcut: the lab's contract, loaded."""

import lab

EXERCISE = "trip_schema"
EXPECT = "❌"
KEYWORDS = ("lab.schemas.load",)


def trip_schema():
    return lab.schemas.load()
