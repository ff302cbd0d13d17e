"""Wrong (create): a generator without behavior makes a second cassandra-cql; kustomize refuses, in one line."""

from _overlay import DDL, generators, rules, write

EXERCISE = "overlay"
EXPECT = "❌"
KEYWORDS = ("kubectl kustomize", "cassandra-cql")
ABSENT = ("Traceback", "run.go")
CLUSTER = False


def write_capstone_overlay(folder):
    k = generators(folder)
    for g in k["configMapGenerator"]:
        del g["behavior"]
    write(folder, k, {"005_zone_durations.cql": DDL, "capstone.yml": rules()})
