"""Wrong (no key): without a key the messages spread over the partitions."""

import lab

EXERCISE = "in_order"
EXPECT = "❌"
KEYWORDS = ("one non-empty key",)


def produce_in_order(topic, n):
    return lab.kraft.produce_strings(topic, [f"step {i}" for i in range(n)])
