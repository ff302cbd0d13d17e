"""Raises: the topic looked up under a key its dict does not have."""

EXERCISE = "silent"
EXPECT = "❌"
KEYWORDS = ("KeyError", "silent_raises.py")
TOPICS = {"trips": "taxi-trips", "dlq": "taxi-trips-dlq"}


def trips_topic_silent():
    topic = TOPICS["taxi-trips"]
    return f'sum(rate(kafka_server_brokertopicmetrics_messagesinpersec_total{{topic="{topic}"}}[30s])) == 0'
