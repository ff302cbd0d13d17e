"""Wrong (absence): fires on a gauge of 0, but a job that never started has no series at all."""

EXERCISE = "duration_alert"
EXPECT = "❌"
KEYWORDS = ("never started", "absent")


def duration_job_down():
    return 'lab_spark_query_active{query="zone_durations"} == 0'
