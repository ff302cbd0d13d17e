"""Wrong (version taken): 004_zone_durations.cql; version 4 is applied already (the Job would skip or stop)."""

from _overlay import DDL, generators, rules, write

EXERCISE = "overlay"
EXPECT = "❌"
KEYWORDS = ("version 4", "already taken", "005")
CLUSTER = False


def write_capstone_overlay(folder):
    k = generators(folder, cql="004_zone_durations.cql")
    write(folder, k, {"004_zone_durations.cql": DDL, "capstone.yml": rules()})
