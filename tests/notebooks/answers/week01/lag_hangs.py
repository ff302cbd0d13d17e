"""Hangs: reads the group's messages to count them, with poll() and no timeout, which waits forever at the end."""

from confluent_kafka import Consumer

EXERCISE = "lag"
EXPECT = "❌"
KEYWORDS = ("group_lag", "did not return within")
TIMEOUT_S = 3


def group_lag(conf, topic, group):
    c = Consumer({**conf, "group.id": group, "enable.auto.commit": False})
    c.subscribe([topic])
    lag = {}
    while True:
        msg = c.poll(0.5)
        if msg is not None and not msg.error():
            lag[msg.partition()] = lag.get(msg.partition(), 0) + 1
