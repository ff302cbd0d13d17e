"""Raises: inside the UDF, run by Spark in a Python worker (a pandas method that does not exist)."""

import pandas as pd
from pyspark.sql import functions as F
from pyspark.sql.functions import pandas_udf

EXERCISE = "trimmed_fares"
EXPECT = "❌"
KEYWORDS = ("trim_mean",)


@pandas_udf("double")
def trimmed(fares: pd.Series) -> float:
    return fares.trim_mean(0.2)


def zone_trimmed_fares(trips):
    return trips.groupBy(F.col("pu_location_id").alias("zone_id")).agg(trimmed("fare_amount").alias("fare_trimmed"))
