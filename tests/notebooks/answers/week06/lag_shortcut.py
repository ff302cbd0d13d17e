"""Shortcut: the check's own reference answer."""

import lab

EXERCISE = "total_lag"
EXPECT = "❌"
KEYWORDS = ("lab's own implementation",)


def total_lag(topic):
    return lab.exercises.week06.reference("total_lag", topic)
