"""Wrong (no topic filter): the broker's messages of every topic, so a busy DLQ hides a silent taxi-trips."""

EXERCISE = "silent"
EXPECT = "❌"
KEYWORDS = ("did not fire", 'topic="taxi-trips"')


def trips_topic_silent():
    return (
        "sum(rate(kafka_server_brokertopicmetrics_messagesinpersec_total[30s])) == 0 "
        "and on () max(lab_spark_query_active) == 1"
    )
