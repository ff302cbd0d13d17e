"""Shortcut: the check's own rule, from the checks module."""

import lab

EXERCISE = "dropped"
EXPECT = "❌"
KEYWORDS = ("lab's own implementation",)
events = ["2021-01-01 12:04", "2021-01-01 12:12", "2021-01-01 12:19", "2021-01-01 12:20", "2021-01-01 12:24"]


def dropped_events():
    return lab.exercises.week04._dropped(events, "2021-01-01 12:31", "10 minutes")
