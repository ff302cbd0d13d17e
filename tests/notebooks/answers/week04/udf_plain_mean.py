"""Wrong (not trimmed): a pandas UDF of the plain mean; the typos pull it."""

import pandas as pd
from pyspark.sql import functions as F
from pyspark.sql.functions import pandas_udf

EXERCISE = "trimmed_fares"
EXPECT = "❌"
KEYWORDS = ("zone 161", "instead of 12.1667", "cut int(0.2 × 5) = 1")


@pandas_udf("double")
def mean_fare(fares: pd.Series) -> float:
    return float(fares.mean())


def zone_trimmed_fares(trips):
    return trips.groupBy(F.col("pu_location_id").alias("zone_id")).agg(mean_fare("fare_amount").alias("fare_trimmed"))
