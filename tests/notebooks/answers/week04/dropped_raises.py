"""Raises: Timestamp minus a string."""

import pandas as pd

EXERCISE = "dropped"
EXPECT = "❌"
KEYWORDS = ("TypeError", "dropped_raises.py")


def dropped_events():
    mark = pd.Timestamp("2021-01-01 12:31") - "10 minutes"
    return [mark]
