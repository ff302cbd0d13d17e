"""Wrong (the counter, not its rate): a counter that stopped at 500 is silent, not 0."""

EXERCISE = "silent"
EXPECT = "❌"
KEYWORDS = ("did not fire", "counter that stays")


def trips_topic_silent():
    return (
        'sum(kafka_server_brokertopicmetrics_messagesinpersec_total{topic="taxi-trips"}) == 0 '
        "and on () max(lab_spark_query_active) == 1"
    )
