"""Wrong (too big for the API server): the DDL file carries 1.1 MiB of comments; the server refuses, in its words."""

from _overlay import DDL, generators, rules, write

EXERCISE = "overlay"
EXPECT = "❌"
KEYWORDS = ("API server refuses", "ConfigMap/cassandra-cql", "1048576")
CLUSTER = True


def write_capstone_overlay(folder):
    padding = "".join(f"-- {'x' * 76}\n" for _ in range(14_500))  # 80 bytes × 14 500 ≈ 1.1 MiB
    write(folder, generators(folder), {"005_zone_durations.cql": padding + DDL, "capstone.yml": rules()})
