"""Hangs: a row loop whose index is never advanced."""

EXERCISE = "rules"
EXPECT = "❌"
KEYWORDS = ("my_rules", "did not return within")
TIMEOUT_S = 3


def my_rules(trips):
    flags, i = [], 0
    while i < len(trips):
        flags.append(trips.iloc[i]["fare_amount"] < 0)
        flags.clear()  # meant: i += 1
    return {"negative_amount": flags, "dropoff_before_pickup": flags}
