"""Right, written differently: column expressions on aliased streams, the range as an interval of seconds."""

from pyspark.sql import functions as F

EXERCISE = "surge_join"
EXPECT = "✅"
KEYWORDS = ("4 matches", "dropped")


def surge_trips(trips, surges, watermark, duration):
    seconds = int(duration.split()[0]) * 60
    t = trips.withWatermark("pickup_ts", watermark).alias("t")
    s = surges.withWatermark("starts_at", watermark).alias("s")
    on = (
        (F.col("t.pu_location_id") == F.col("s.zone_id"))
        & (F.col("t.pickup_ts") >= F.col("s.starts_at"))
        & (F.col("t.pickup_ts") < F.col("s.starts_at") + F.expr(f"make_interval(0, 0, 0, 0, 0, 0, {seconds})"))
    )
    return t.join(s, on, "inner").select("t.trip_id", "s.surge_id", "s.multiplier")
