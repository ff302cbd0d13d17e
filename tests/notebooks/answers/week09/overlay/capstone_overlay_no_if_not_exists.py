"""Wrong (not idempotent): CREATE TABLE without IF NOT EXISTS stops the schema Job where the table exists."""

from _overlay import DDL, generators, rules, write

EXERCISE = "overlay"
EXPECT = "❌"
KEYWORDS = ("IF NOT EXISTS",)
CLUSTER = False


def write_capstone_overlay(folder):
    ddl = DDL.replace("IF NOT EXISTS ", "")
    write(folder, generators(folder), {"005_zone_durations.cql": ddl, "capstone.yml": rules()})
