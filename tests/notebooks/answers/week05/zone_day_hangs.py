"""Hangs: waits for a day that never comes."""

import datetime
import time

EXERCISE = "zone_day"
EXPECT = "❌"
KEYWORDS = ("did not return within",)
TIMEOUT_S = 3


def zone_day_query(zone, day):
    while datetime.date.today().isoformat() != day:
        time.sleep(0.2)
    return "SELECT * FROM kappa.zone_windows WHERE zone_id = %s AND day = %s", (zone, day)
