"""Wrong (namespace): `namespace: capstone` moves the whole lab out of kappa, where it runs."""

from _overlay import DDL, generators, rules, write

EXERCISE = "overlay"
EXPECT = "❌"
KEYWORDS = ("namespace 'capstone'", "runs in 'kappa'")
CLUSTER = False


def write_capstone_overlay(folder):
    k = {"namespace": "capstone", **generators(folder)}
    write(folder, k, {"005_zone_durations.cql": DDL, "capstone.yml": rules()})
