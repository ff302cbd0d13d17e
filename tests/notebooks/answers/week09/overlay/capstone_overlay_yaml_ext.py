"""Wrong (rule file pattern): capstone.yaml, which Prometheus' rule_files (/etc/prometheus/rules/*.yml) skips."""

from _overlay import DDL, generators, rules, write

EXERCISE = "overlay"
EXPECT = "❌"
KEYWORDS = ("capstone.yaml", "loads only", "*.yml")
CLUSTER = False


def write_capstone_overlay(folder):
    write(
        folder, generators(folder, rule_file="capstone.yaml"), {"005_zone_durations.cql": DDL, "capstone.yaml": rules()}
    )
