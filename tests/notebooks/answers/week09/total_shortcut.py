"""Shortcut: lab.truth's trips of the topic instead of the v2 rows."""

import lab

EXERCISE = "total"
EXPECT = "❌"
KEYWORDS = ("lab's own implementation",)


def total_trips(windows):
    return len(lab.truth.from_topic(lab.config.week_topic("09")))
