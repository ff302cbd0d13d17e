"""Raises: committed() given partition numbers instead of TopicPartitions."""

from confluent_kafka import Consumer

EXERCISE = "lag"
EXPECT = "❌"
KEYWORDS = ("Your code raised", "lag_raises.py")


def group_lag(conf, topic, group):
    c = Consumer({**conf, "group.id": group})
    parts = list(c.list_topics(topic, timeout=10).topics[topic].partitions)
    return {tp.partition: tp.offset for tp in c.committed(parts, timeout=10)}
