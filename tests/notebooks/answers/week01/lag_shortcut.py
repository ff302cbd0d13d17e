"""Shortcut: the lab's committed_offsets and partition_counts."""

import lab

EXERCISE = "lag"
EXPECT = "❌"
KEYWORDS = ("lab.topics.partition_counts", "client API")


def group_lag(conf, topic, group):
    ends = lab.topics.partition_counts(topic)
    done = lab.kraft.committed_offsets(topic, group)
    return {p: e - max(done.get(p, 0), 0) for p, e in ends.items()}
