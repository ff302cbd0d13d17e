"""Right, written differently: topics made with their names, validate, the tuned producer with its keywords."""

import lab

EXERCISE = "accounted"
EXPECT = "✅"
KEYWORDS = ("accepted +",)


def produce_green(topic, rows):
    lab.topics.delete_topics([topic, f"{topic}-dlq"])
    lab.topics.ensure_topics(trips=topic, dlq=f"{topic}-dlq")
    green = lab.data.load("green", "2024-01", limit=rows)
    ok, bad = lab.data.validate(green, "2024-01")
    return lab.produce.produce_frame(ok, bad, topic=topic, dlq=f"{topic}-dlq", progress=False)
