"""Raises: replication factor 3 on a one-broker cluster; the broker refuses and .result() raises."""

from confluent_kafka.admin import NewTopic

EXERCISE = "create_topic"
EXPECT = "❌"
KEYWORDS = ("KafkaException", "replication", "create_topic_raises.py")


def create_topic(admin, name, partitions, config):
    admin.create_topics([NewTopic(name, partitions, 3, config=config)])[name].result(timeout=30)
