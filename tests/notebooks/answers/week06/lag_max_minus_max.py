"""Wrong (no per-partition step): the largest offsets of any partition, not the lag summed over partitions."""

EXERCISE = "total_lag"
EXPECT = "❌"
KEYWORDS = ("gives 100", "the total lag is 120")


def total_lag(topic):
    return f'max(kafka_log_log_logendoffset{{topic="{topic}"}}) - max(lab_spark_source_end_offset{{topic="{topic}"}})'
