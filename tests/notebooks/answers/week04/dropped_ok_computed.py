"""Right, written differently: computed from the rule (window end at or before max event time - watermark)."""

import pandas as pd

EXERCISE = "dropped"
EXPECT = "✅"
KEYWORDS = ("12:04", "12:19")
events = ["2021-01-01 12:04", "2021-01-01 12:12", "2021-01-01 12:19", "2021-01-01 12:20", "2021-01-01 12:24"]


def dropped_events():
    mark = pd.Timestamp("2021-01-01 12:31") - pd.Timedelta("10 minutes")
    return [e for e in events if pd.Timestamp(e).floor("5min") + pd.Timedelta("5min") <= mark]
