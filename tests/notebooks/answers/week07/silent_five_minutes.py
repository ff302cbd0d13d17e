"""Wrong (the window): a rate over 5 minutes, so 50 s of silence after traffic does not fire."""

EXERCISE = "silent"
EXPECT = "❌"
KEYWORDS = ("50 s", "[30s]")


def trips_topic_silent():
    return (
        'sum(rate(kafka_server_brokertopicmetrics_messagesinpersec_total{topic="taxi-trips"}[5m])) == 0 '
        "and on () max(lab_spark_query_active) == 1"
    )
