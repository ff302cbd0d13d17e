"""Right: the getter's answer, made an int on purpose."""

import lab

EXERCISE = "cql_port"
EXPECT = "✅"
KEYWORDS = ("speaks CQL",)


def cql_port():
    return int(lab.cassandra.cql_port())
