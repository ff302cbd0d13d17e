"""Right, written differently: DataFrame.lt and Series.lt, the columns listed by hand."""

EXERCISE = "rules"
EXPECT = "✅"
KEYWORDS = ("every row and edge case",)

COLUMNS = [
    "fare_amount", "extra", "mta_tax", "tip_amount", "tolls_amount", "improvement_surcharge", "total_amount",
    "congestion_surcharge", "airport_fee", "cbd_congestion_fee", "trip_distance",
]  # fmt: skip


def my_rules(trips):
    return {
        "dropoff_before_pickup": trips.dropoff_ts.lt(trips.pickup_ts),
        "negative_amount": trips[COLUMNS].lt(0).any(axis="columns"),
    }
