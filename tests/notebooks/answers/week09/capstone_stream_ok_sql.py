"""Right, written differently: the decoded trips as a view, the windows in Spark SQL, a 30-minute watermark."""

from pyspark.sql import functions as F
from pyspark.sql.avro.functions import from_avro

import lab

EXERCISE = "duration_windows"
EXPECT = "✅"
KEYWORDS = ("two replays", "replay-exact")


def duration_windows(spark, topic, schema):
    raw = (
        spark.readStream.format("kafka")
        .options(**{"kafka.bootstrap.servers": lab.kafka.bootstrap_servers(), "subscribe": topic})
        .option("startingOffsets", "earliest")
        .load()
    )
    body = F.col("value").substr(F.lit(6), F.length("value") - 5)
    raw.select(from_avro(body, schema).alias("t")).select("t.*").withWatermark(
        "pickup_ts", "30 minutes"
    ).createOrReplaceTempView("capstone_trips")
    return spark.sql(
        "SELECT pu_location_id AS zone_id, window.start AS window_start, window.end AS window_end, "
        "count(*) AS trips, sum(duration_s) AS duration_total_s, avg(duration_s) AS duration_avg_s "
        "FROM capstone_trips GROUP BY pu_location_id, window(pickup_ts, '5 minutes')"
    )
