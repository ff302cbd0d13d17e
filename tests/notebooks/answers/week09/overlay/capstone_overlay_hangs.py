"""Hangs: waits for a file that never comes; the check stops it after TIMEOUT_S."""

import time

EXERCISE = "overlay"
EXPECT = "❌"
KEYWORDS = ("did not return within 3 s",)
TIMEOUT_S = 3
CLUSTER = False


def write_capstone_overlay(folder):
    while not (folder / "ready").exists():
        time.sleep(0.2)
