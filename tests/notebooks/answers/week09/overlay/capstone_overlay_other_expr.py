"""Wrong (a different expression from step 6's): `== 0` alone, silent for a job that never started."""

from _overlay import DDL, generators, rules, write

EXERCISE = "overlay"
EXPECT = "❌"
KEYWORDS = ("capstone.yml", "never started", "absent")
CLUSTER = False


def write_capstone_overlay(folder):
    rule = rules('lab_spark_query_active{query="zone_durations"} == 0')
    write(folder, generators(folder), {"005_zone_durations.cql": DDL, "capstone.yml": rule})
