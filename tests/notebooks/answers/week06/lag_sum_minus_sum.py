"""Wrong (no per-partition step): every Spark series summed, so a second query reading the topic counts twice."""

EXERCISE = "total_lag"
EXPECT = "❌"
INJECT = "total_lag"  # also run in the week's notebook: Run All goes on
KEYWORDS = ("two queries", "-180", "per partition")


def total_lag(topic):
    return f'sum(kafka_log_log_logendoffset{{topic="{topic}"}}) - sum(lab_spark_source_end_offset{{topic="{topic}"}})'
