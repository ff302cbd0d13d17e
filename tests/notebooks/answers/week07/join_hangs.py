"""Hangs: waits for a surge that never comes."""

import time

EXERCISE = "surge_join"
EXPECT = "❌"
KEYWORDS = ("did not return within",)
TIMEOUT_S = 5


def surge_trips(trips, surges, watermark, duration):
    while True:
        time.sleep(0.1)
