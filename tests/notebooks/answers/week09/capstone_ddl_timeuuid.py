"""Wrong (non-idempotent key): a timeuuid id in the key, so every write is a new row."""

EXERCISE = "ddl"
EXPECT = "❌"
KEYWORDS = ("id", "duplicates")


def zone_durations_ddl(table):
    return f"""CREATE TABLE kappa.{table} (
      zone_id int, day date, window_start timestamp, window_end timestamp, id timeuuid,
      trips bigint, duration_total_s bigint, duration_avg_s double, written_at timestamp,
      PRIMARY KEY ((zone_id, day), window_start, id))"""
