"""Wrong (file pattern): the DDL in zone_durations.cql, a key the schema Job cannot version (no NNN_ prefix)."""

from _overlay import DDL, generators, rules, write

EXERCISE = "overlay"
EXPECT = "❌"
KEYWORDS = ("no new migration", "zone_durations.cql", "005_")
CLUSTER = False


def write_capstone_overlay(folder):
    k = generators(folder, cql="zone_durations.cql")
    write(folder, k, {"zone_durations.cql": DDL, "capstone.yml": rules()})
