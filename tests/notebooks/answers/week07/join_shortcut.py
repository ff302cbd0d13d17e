"""Shortcut: the check module's own join."""

import lab

EXERCISE = "surge_join"
EXPECT = "❌"
KEYWORDS = ("lab's own implementation",)


def surge_trips(trips, surges, watermark, duration):
    return lab.exercises.stateful._surge_trips(trips, surges, watermark, duration)
