"""Hangs: waits for a signal that never comes before reading the topic."""

import time

EXERCISE = "reprocess_v2"
EXPECT = "❌"
KEYWORDS = ("did not return within",)
TIMEOUT_S = 5

READY = []


def reprocess_v2(spark, topic, schema, table):
    while not READY:
        time.sleep(0.2)
