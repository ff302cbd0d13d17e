"""Raises: a column that is not there."""

EXERCISE = "rules"
EXPECT = "❌"
KEYWORDS = ("KeyError", "distance", "rules_raises.py")


def my_rules(trips):
    return {"negative_amount": trips["distance"] < 0, "dropoff_before_pickup": trips["dropoff_ts"] < trips["pickup_ts"]}
