"""Wrong (the query ignored): fires on a silent topic even when no query runs (PipelineStalled's job, not this one)."""

EXERCISE = "silent"
EXPECT = "❌"
KEYWORDS = ("query stopped", "fired")


def trips_topic_silent():
    return 'sum(rate(kafka_server_brokertopicmetrics_messagesinpersec_total{topic="taxi-trips"}[30s])) == 0'
