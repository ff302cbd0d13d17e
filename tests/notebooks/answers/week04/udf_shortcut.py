"""Shortcut: the check's own truth, turned into a Spark DataFrame."""

import lab

EXERCISE = "trimmed_fares"
EXPECT = "❌"
KEYWORDS = ("lab's own implementation", "_trimmed_truth")


def zone_trimmed_fares(trips):
    return trips.sparkSession.createDataFrame(lab.exercises.week04._trimmed_truth(trips.toPandas()))
