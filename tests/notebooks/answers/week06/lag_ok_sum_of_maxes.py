"""Right, written differently: one value per partition on each side, summed separately, then subtracted."""

EXERCISE = "total_lag"
EXPECT = "✅"
KEYWORDS = ("made-up offsets",)


def total_lag(topic):
    end = f'sum(max by (partition) (kafka_log_log_logendoffset{{topic="{topic}"}}))'
    read = f'sum(max by (partition) (lab_spark_source_end_offset{{topic="{topic}"}}))'
    return f"{end} - {read}"
