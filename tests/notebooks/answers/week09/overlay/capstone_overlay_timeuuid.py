"""Wrong (key): the shipped DDL keys on a timeuuid (step 3's mistake, now on its way to the cluster)."""

from _overlay import DDL, generators, rules, write

EXERCISE = "overlay"
EXPECT = "❌"
KEYWORDS = ("keyed", "((zone_id, day), window_start)")
CLUSTER = False


def write_capstone_overlay(folder):
    ddl = DDL.replace("written_at timestamp,", "written_at timestamp, id timeuuid,").replace(
        "PRIMARY KEY ((zone_id, day), window_start)", "PRIMARY KEY ((zone_id, day), window_start, id)"
    )
    write(folder, generators(folder), {"005_zone_durations.cql": ddl, "capstone.yml": rules()})
