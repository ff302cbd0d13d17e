"""Wrong (the rows): trips per day, not per hour."""

import pandas as pd
from _solution import create_borough_hourly, upsert_hourly  # noqa: F401 - the exercise's other functions

EXERCISE = "borough_table"
EXPECT = "❌"
KEYWORDS = ("hours of",)


def hourly_revenue(zone_windows):
    z = zone_windows.assign(hour=pd.to_datetime(zone_windows["window_start"]).dt.floor("1D"))
    out = z.groupby(["borough", "hour"], as_index=False).agg(
        trips=("trips", "sum"), revenue_total=("revenue_total", "sum")
    )
    out["day"] = out["hour"].dt.date
    return out
