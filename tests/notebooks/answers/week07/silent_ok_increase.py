"""Right, written differently: increase over 30 s is 0, and any query active."""

EXERCISE = "silent"
EXPECT = "✅"
KEYWORDS = ("only then",)


def trips_topic_silent():
    return (
        'sum(increase(kafka_server_brokertopicmetrics_messagesinpersec_total{topic="taxi-trips"}[30s])) == 0 '
        "and on () (max(lab_spark_query_active) > 0)"
    )
