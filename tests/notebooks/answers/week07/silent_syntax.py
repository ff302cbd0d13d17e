"""Wrong (not PromQL): SQL's AND and a missing bracket."""

EXERCISE = "silent"
EXPECT = "❌"
KEYWORDS = ("cannot parse",)


def trips_topic_silent():
    return 'rate(kafka_server_brokertopicmetrics_messagesinpersec_total{topic="taxi-trips"}[30s] = 0 AND query_active'
