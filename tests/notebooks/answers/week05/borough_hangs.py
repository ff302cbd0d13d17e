"""Hangs: waits for the table to fill itself."""

import time

from _solution import create_borough_hourly, hourly_revenue  # noqa: F401 - the exercise's other functions

EXERCISE = "borough_table"
EXPECT = "❌"
KEYWORDS = ("did not return within",)
TIMEOUT_S = 5


def upsert_hourly(session, rows):
    while not session.execute("SELECT * FROM kappa.borough_revenue_hourly LIMIT 1").one():
        time.sleep(0.5)
