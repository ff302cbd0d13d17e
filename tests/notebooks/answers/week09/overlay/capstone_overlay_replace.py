"""Wrong (replace): behavior: replace makes the CQL ConfigMap hold only the new file; 001–004 are gone."""

from _overlay import DDL, generators, rules, write

EXERCISE = "overlay"
EXPECT = "❌"
KEYWORDS = ("lost 001_keyspace.cql", "behavior: merge")
CLUSTER = False


def write_capstone_overlay(folder):
    write(folder, generators(folder, behavior="replace"), {"005_zone_durations.cql": DDL, "capstone.yml": rules()})
