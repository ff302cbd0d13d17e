"""Right, written differently: absent() of the job's gauge being 1 covers both a stopped and a missing job."""

EXERCISE = "duration_alert"
EXPECT = "✅"
KEYWORDS = ("ZoneDurationsJobDown", "only then")


def duration_job_down():
    return 'absent(lab_spark_query_active{query="zone_durations"} == 1)'
