"""Right, written differently: the key as (zone_id, day) with window_start clustered ascending, no options."""

EXERCISE = "ddl"
EXPECT = "✅"
KEYWORDS = ("upserts",)


def zone_durations_ddl(table):
    columns = (
        "zone_id int, day date, window_start timestamp, window_end timestamp, trips bigint, "
        "duration_total_s bigint, duration_avg_s double, written_at timestamp"
    )
    return f"CREATE TABLE kappa.{table} ({columns}, PRIMARY KEY ((zone_id, day), window_start))"
