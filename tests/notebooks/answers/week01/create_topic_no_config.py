"""Wrong (topic config ignored): the partitions are right, retention and cleanup policy are the broker's defaults."""

from confluent_kafka.admin import NewTopic

EXERCISE = "create_topic"
EXPECT = "❌"
KEYWORDS = ("config",)


def create_topic(admin, name, partitions, config):
    admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])[name].result(timeout=30)
