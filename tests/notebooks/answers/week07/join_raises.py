"""Raises: a column the surges do not have."""

from pyspark.sql import functions as F

EXERCISE = "surge_join"
EXPECT = "❌"
KEYWORDS = ("surge_zone",)


def surge_trips(trips, surges, watermark, duration):
    return trips.join(surges, F.col("pu_location_id") == F.col("surge_zone"))
