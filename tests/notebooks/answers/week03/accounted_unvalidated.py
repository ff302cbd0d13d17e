"""Wrong (not validated): every row produced as accepted, nothing to the DLQ."""

import lab

EXERCISE = "accounted"
EXPECT = "❌"
KEYWORDS = ("validate",)


def produce_green(topic, rows):
    lab.topics.delete_topics([topic, f"{topic}-dlq"])
    lab.topics.ensure_topics(topic, f"{topic}-dlq")
    green = lab.data.load("green", "2024-01", limit=rows)
    return lab.produce.produce_frame(green, topic=topic, dlq=f"{topic}-dlq", progress=False, check=False)
