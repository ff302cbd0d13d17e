"""Shortcut: the lab's own topic helper does the work."""

import lab

EXERCISE = "create_topic"
EXPECT = "❌"
KEYWORDS = ("lab.topics.create", "client API")


def create_topic(admin, name, partitions, config):
    lab.topics.create(name, partitions, **config)
