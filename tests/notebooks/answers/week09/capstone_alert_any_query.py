"""Wrong (selector): any stopped query fires it, not only the duration job."""

EXERCISE = "duration_alert"
EXPECT = "❌"
KEYWORDS = ("another query",)


def duration_job_down():
    return 'min(lab_spark_query_active) == 0 or absent(lab_spark_query_active{query="zone_durations"})'
