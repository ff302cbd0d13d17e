"""Right, written differently: a pivot table of trips per window and borough, one column of it."""

import pandas as pd

EXERCISE = "borough_from_zones"
EXPECT = "✅"
KEYWORDS = ("match borough_windows",)


def borough_from_zones(zw, borough):
    wide = pd.pivot_table(zw, index="window_start", columns="borough", values="trips", aggfunc="sum")
    return wide[borough].dropna().rename("trips").reset_index()
