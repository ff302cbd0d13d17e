"""Right, written differently: applyInPandas over each zone's rows, trimming with pandas' own quantile-free slicing."""

import pandas as pd

EXERCISE = "trimmed_fares"
EXPECT = "✅"
KEYWORDS = ("FlatMapGroupsInPandas", "161: 12.17")


def trimmed(group: pd.DataFrame) -> pd.DataFrame:
    fares = group["fare_amount"].sort_values().reset_index(drop=True)
    cut = int(len(fares) * 0.2)
    kept = fares.iloc[cut : len(fares) - cut]
    return pd.DataFrame(
        {"zone_id": [int(group["pu_location_id"].iloc[0])], "trips": [len(fares)], "fare_trimmed": [kept.mean()]}
    )


def zone_trimmed_fares(trips):
    return trips.groupBy("pu_location_id").applyInPandas(trimmed, "zone_id long, trips long, fare_trimmed double")
