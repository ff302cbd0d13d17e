"""Right, written differently: SQL expressions (window with a slide, session_window) and the struct's fields."""

from pyspark.sql import functions as F

EXERCISE = "window_kinds"
EXPECT = "✅"
KEYWORDS = ("sliding windows", "sessions", "truth computed in pandas")


def sliding_counts(trips, size, slide, watermark):
    w = trips.withWatermark("pickup_ts", watermark).groupBy(
        F.expr(f"window(pickup_ts, '{size}', '{slide}')").alias("win"), "pu_location_id"
    )
    return w.count().selectExpr(
        "pu_location_id AS zone_id", "win.start AS window_start", "win.end AS window_end", "count AS trips"
    )


def activity_sessions(trips, gap, watermark):
    return (
        trips.withWatermark("pickup_ts", watermark)
        .groupBy(F.expr(f"session_window(pickup_ts, '{gap}')").alias("s"), F.col("pu_location_id").alias("zone_id"))
        .agg(F.count("trip_id").alias("trips"))
        .select("zone_id", "s.*", "trips")
        .withColumnsRenamed({"start": "window_start", "end": "window_end"})
    )
