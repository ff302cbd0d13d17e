"""Wrong (syntax): an unclosed label matcher; promtool's own message is the line."""

EXERCISE = "duration_alert"
EXPECT = "❌"
KEYWORDS = ("cannot parse",)


def duration_job_down():
    return 'lab_spark_query_active{query="zone_durations" == 0'
