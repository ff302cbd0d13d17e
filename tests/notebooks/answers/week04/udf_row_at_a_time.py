"""Wrong (not a pandas UDF): right values, but a row-at-a-time @udf over collect_list."""

from pyspark.sql import functions as F

EXERCISE = "trimmed_fares"
EXPECT = "❌"
KEYWORDS = ("values are right", "row-at-a-time", "pandas UDF")


@F.udf("double")
def trimmed(fares):
    fares = sorted(fares)
    k = int(0.2 * len(fares))
    kept = fares[k : len(fares) - k]
    return sum(kept) / len(kept)


def zone_trimmed_fares(trips):
    return trips.groupBy(F.col("pu_location_id").alias("zone_id")).agg(
        F.count("*").alias("trips"), trimmed(F.collect_list("fare_amount")).alias("fare_trimmed")
    )
