"""Shortcut: the lab's v2 schema instead of an evolution."""

import lab

EXERCISE = "evolution"
EXPECT = "❌"
KEYWORDS = ("lab.schemas.load",)


def evolve(schema):
    return lab.schemas.load(lab.schemas.V2)


def break_it(schema):
    schema["fields"].append({"name": "tip_percent", "type": "double"})
    return schema
