"""Wrong (matching): per partition, but without one value per partition Prometheus refuses to match two queries."""

EXERCISE = "total_lag"
EXPECT = "❌"
KEYWORDS = ("duplicate series", "max by (partition)")


def total_lag(topic):
    return (
        f'sum(kafka_log_log_logendoffset{{topic="{topic}"}} - on (partition) '
        f'lab_spark_source_end_offset{{topic="{topic}"}})'
    )
