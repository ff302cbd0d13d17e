"""Shortcut: the check module's own detector."""

import lab

EXERCISE = "fare_anomalies"
EXPECT = "❌"
KEYWORDS = ("lab's own implementation",)


def fare_anomalies(trips, factor, min_trips, quiet, watermark):
    return lab.exercises.stateful._fare_anomalies(trips, factor, min_trips, quiet, watermark)
