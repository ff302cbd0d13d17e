"""Hangs: waits for the topic to appear, but never asked for it (the create_topics call forgotten)."""

EXERCISE = "create_topic"
EXPECT = "❌"
KEYWORDS = ("create_topic", "did not return within")
TIMEOUT_S = 3


def create_topic(admin, name, partitions, config):
    while name not in admin.list_topics(timeout=5).topics:
        pass
