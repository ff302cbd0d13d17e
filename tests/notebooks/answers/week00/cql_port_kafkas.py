"""Wrong (another service's port): Kafka's, read from its bootstrap address."""

import lab

EXERCISE = "cql_port"
EXPECT = "❌"
KEYWORDS = ("not the CQL port",)


def cql_port():
    return int(lab.kafka.bootstrap_servers().rsplit(":", 1)[1])
