"""Wrong (no window in the key): one row per zone and day, so each window overwrites the one before."""

EXERCISE = "ddl"
EXPECT = "❌"
KEYWORDS = ("window_start", "overwrites")


def zone_durations_ddl(table):
    return f"""CREATE TABLE kappa.{table} (
      zone_id int, day date, window_start timestamp, window_end timestamp,
      trips bigint, duration_total_s bigint, duration_avg_s double, written_at timestamp,
      PRIMARY KEY ((zone_id, day)))"""
