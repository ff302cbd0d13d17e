"""Wrong (a batch): spark.read instead of readStream; the job would run once and stop."""

from pyspark.sql import functions as F

import lab

EXERCISE = "duration_windows"
EXPECT = "❌"
KEYWORDS = ("streaming DataFrame",)


def duration_windows(spark, topic, schema):
    raw = spark.read.format("kafka").option("kafka.bootstrap.servers", lab.kafka.bootstrap_servers())
    return raw.option("subscribe", topic).load().select(F.col("value"))
