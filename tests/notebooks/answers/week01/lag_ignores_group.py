"""Wrong (the group ignored): the partition sizes, high − low, as if nothing had been read."""

from _consumer import consume_all  # noqa: F401
from confluent_kafka import Consumer, TopicPartition

EXERCISE = "lag"
EXPECT = "❌"
KEYWORDS = ("differs",)


def group_lag(conf, topic, group):
    c = Consumer({**conf, "group.id": group})
    parts = c.list_topics(topic, timeout=10).topics[topic].partitions
    sizes = {}
    for p in parts:
        low, high = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
        sizes[p] = high - low
    c.close()
    return sizes
