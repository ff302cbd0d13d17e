"""Wrong (optional amounts forgotten): a negative airport or congestion fee passes."""

import lab

EXERCISE = "rules"
EXPECT = "❌"
KEYWORDS = ("negative_amount", "a negative cbd_congestion_fee")


def my_rules(trips):
    amounts = [*lab.data.AMOUNTS, "trip_distance"]
    return {
        "negative_amount": (trips[amounts] < 0).any(axis=1),
        "dropoff_before_pickup": trips["dropoff_ts"] < trips["pickup_ts"],
    }
