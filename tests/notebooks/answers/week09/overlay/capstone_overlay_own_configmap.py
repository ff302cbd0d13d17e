"""Wrong (a ConfigMap nothing reads): the DDL in a new ConfigMap capstone-cql, which no Job mounts."""

from _overlay import DDL, kind_overlay, rules, write

EXERCISE = "overlay"
EXPECT = "❌"
KEYWORDS = ("no new migration", "capstone-cql", "no Job reads")
CLUSTER = False


def write_capstone_overlay(folder):
    k = {
        "resources": [kind_overlay(folder)],
        "configMapGenerator": [
            {"name": "capstone-cql", "files": ["005_zone_durations.cql"]},
            {"name": "prometheus-rules", "behavior": "merge", "files": ["capstone.yml"]},
        ],
    }
    write(folder, k, {"005_zone_durations.cql": DDL, "capstone.yml": rules()})
