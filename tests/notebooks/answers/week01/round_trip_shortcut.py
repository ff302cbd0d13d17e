"""Shortcut: the lab's produce_strings does the producing, its Delivered reports reshaped."""

from _consumer import consume_all  # noqa: F401

import lab

EXERCISE = "round_trip"
EXPECT = "❌"
KEYWORDS = ("lab.kraft.produce_strings", "client API")


def produce_keyed(conf, topic, records):
    done = lab.kraft.produce_strings(topic, [v for _, v in records], keys=[k for k, _ in records])
    return [(d.key, d.partition, d.offset) for d in done]
