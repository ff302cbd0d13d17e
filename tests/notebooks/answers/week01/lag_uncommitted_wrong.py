"""Wrong (nothing committed taken as an offset): high − committed even where committed is −1001."""

from _consumer import consume_all  # noqa: F401
from confluent_kafka import Consumer, TopicPartition

EXERCISE = "lag"
EXPECT = "❌"
KEYWORDS = ("nothing committed",)


def group_lag(conf, topic, group):
    c = Consumer({**conf, "group.id": group})
    parts = c.list_topics(topic, timeout=10).topics[topic].partitions
    lag = {}
    for tp in c.committed([TopicPartition(topic, p) for p in parts], timeout=10):
        lag[tp.partition] = c.get_watermark_offsets(tp, timeout=10)[1] - tp.offset
    c.close()
    return lag
