"""Right, written differently: one key per message, all the same string."""

import lab

EXERCISE = "in_order"
EXPECT = "✅"
KEYWORDS = ("same key, same partition",)


def produce_in_order(topic, n):
    return lab.kraft.produce_strings(topic, [f"step {i}" for i in range(n)], keys=["ride-7"] * n)
