"""Wrong (<= for <): a dropoff at the pickup's instant is flagged as before it."""

import lab

EXERCISE = "rules"
EXPECT = "❌"
KEYWORDS = ("dropoff_before_pickup", "at the pickup's instant")


def my_rules(trips):
    amounts = [*lab.data.AMOUNTS, *lab.data.OPTIONAL_AMOUNTS, "trip_distance"]
    return {
        "negative_amount": (trips[amounts] < 0).any(axis=1),
        "dropoff_before_pickup": trips["dropoff_ts"] <= trips["pickup_ts"],
    }
