"""Hangs: waits for the lag to be known before writing the query."""

import time

EXERCISE = "total_lag"
EXPECT = "❌"
KEYWORDS = ("did not return within",)
TIMEOUT_S = 3


def total_lag(topic):
    known = None
    while known is None:
        time.sleep(0.1)
    return known
