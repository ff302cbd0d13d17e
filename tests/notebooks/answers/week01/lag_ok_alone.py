"""Right, alone and written differently: no consume_all (the check uses the lab's), the lag through per-partition
committed() calls and max(committed, low)."""

from confluent_kafka import Consumer, TopicPartition

EXERCISE = "lag"
EXPECT = "✅"
KEYWORDS = ("still to read",)


def group_lag(conf, topic, group):
    c = Consumer({**conf, "group.id": group})
    n = len(c.list_topics(topic, timeout=10).topics[topic].partitions)
    out = {}
    for p in range(n):
        (tp,) = c.committed([TopicPartition(topic, p)], timeout=10)
        low, high = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
        out[p] = high - max(tp.offset, low)
    c.close()
    return out
