"""Wrong (missing taken as negative): "not >= 0" is True for NaN."""

import lab

EXERCISE = "rules"
EXPECT = "❌"
KEYWORDS = ("negative_amount", "a missing optional amount: not negative")


def my_rules(trips):
    amounts = [*lab.data.AMOUNTS, *lab.data.OPTIONAL_AMOUNTS, "trip_distance"]
    return {
        "negative_amount": (~(trips[amounts] >= 0)).any(axis=1),
        "dropoff_before_pickup": trips["dropoff_ts"] < trips["pickup_ts"],
    }
