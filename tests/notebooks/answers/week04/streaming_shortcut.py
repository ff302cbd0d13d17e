"""Shortcut: the lab's own job builds the windows."""

from _solution import read_trips, run_to_memory  # noqa: F401 - the exercise's other functions

import lab

EXERCISE = "streaming_windows"
EXPECT = "❌"
KEYWORDS = ("lab's own implementation", "withWatermark")


def zone_windows(trips, window, watermark):
    job = lab.stream.Job(topic="taxi-trips", window=window, watermark=watermark, name="mine")
    return lab.stream.windows(lab.spark.session(), job)
