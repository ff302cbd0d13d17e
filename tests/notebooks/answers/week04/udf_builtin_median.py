"""Wrong (another robust statistic): the built-in median is not the trimmed mean."""

from pyspark.sql import functions as F

EXERCISE = "trimmed_fares"
EXPECT = "❌"
KEYWORDS = ("zone 161", "fare_trimmed 12.5")


def zone_trimmed_fares(trips):
    return trips.groupBy(F.col("pu_location_id").alias("zone_id")).agg(
        F.count("*").alias("trips"), F.median("fare_amount").alias("fare_trimmed")
    )
