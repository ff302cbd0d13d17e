"""Wrong (alert missing): the rule file holds another alert's name."""

from _overlay import DDL, generators, rules, write

EXERCISE = "overlay"
EXPECT = "❌"
KEYWORDS = ("no rule ZoneDurationsJobDown",)
CLUSTER = False


def write_capstone_overlay(folder):
    write(folder, generators(folder), {"005_zone_durations.cql": DDL, "capstone.yml": rules(alert="DurationsDown")})
