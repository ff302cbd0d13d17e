"""Wrong (the overlay dropped): only the two ConfigMaps, the kind overlay not listed under resources."""

from _overlay import DDL, rules, write

EXERCISE = "overlay"
EXPECT = "❌"
KEYWORDS = ("objects of the kind overlay are missing", "resources")
CLUSTER = False


def write_capstone_overlay(folder):
    k = {
        "configMapGenerator": [
            {"name": "cassandra-cql", "files": ["005_zone_durations.cql"]},
            {"name": "prometheus-rules", "files": ["capstone.yml"]},
        ]
    }
    write(folder, k, {"005_zone_durations.cql": DDL, "capstone.yml": rules()})
