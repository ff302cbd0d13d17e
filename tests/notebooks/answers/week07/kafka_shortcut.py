"""Shortcut: the lab's own producer pipeline writes the records."""

import lab

EXERCISE = "anomalies_to_kafka"
EXPECT = "❌"
KEYWORDS = ("lab's own implementation",)


def anomalies_to_kafka(anomalies, topic, checkpoint):
    rows = lab.spark.session().createDataFrame([], "x int").toPandas()
    lab.produce.produce_frame(rows, topic=topic)
