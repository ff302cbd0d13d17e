"""Shortcut: the lab's register."""

import lab

EXERCISE = "register"
EXPECT = "❌"
KEYWORDS = ("lab.schemas.register",)


def register(url, subject, schema):
    return lab.schemas.register(subject, schema, url)
