"""Raises: the partitions looked up in a dict the learner never filled (KeyError)."""

EXERCISE = "total_lag"
EXPECT = "❌"
KEYWORDS = ("raised", "KeyError")

PARTITIONS = {}


def total_lag(topic):
    parts = "|".join(str(p) for p in PARTITIONS[topic])
    return f'sum(kafka_log_log_logendoffset{{topic="{topic}", partition=~"{parts}"}})'
