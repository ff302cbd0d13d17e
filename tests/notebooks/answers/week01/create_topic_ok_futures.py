"""Right, written differently: positional NewTopic arguments, every future waited with concurrent.futures."""

import concurrent.futures

from confluent_kafka.admin import NewTopic

EXERCISE = "create_topic"
EXPECT = "✅"
KEYWORDS = ("read back from the broker",)


def create_topic(admin, name, partitions, config):
    futures = admin.create_topics([NewTopic(name, partitions, 1, config=config)], request_timeout=20)
    done, _ = concurrent.futures.wait(futures.values(), timeout=30)
    for f in done:
        f.result()
