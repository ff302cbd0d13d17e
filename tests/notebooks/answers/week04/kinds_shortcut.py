"""Shortcut: the check's own truth computes the sessions."""

from _solution import sliding_counts  # noqa: F401 - the exercise's other function

import lab

EXERCISE = "window_kinds"
EXPECT = "❌"
KEYWORDS = ("lab's own implementation", "_session_truth")


def activity_sessions(trips, gap, watermark):
    truth = lab.exercises.week04._session_truth(lab.exercises.week04.kind_trips(), gap, watermark)
    return trips.sparkSession.createDataFrame(truth)
