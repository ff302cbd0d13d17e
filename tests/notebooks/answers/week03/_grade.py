"""Week 03's exercises as the notebook grades them (the notebook's smoke-size month, a few hundred rows produced)."""

import lab
from lab.lessons.exercises import grade, week03


def _month():
    trips = lab.data.load("yellow", "2021-01", limit=3000)
    accepted, rejected = lab.data.validate(trips, "2021-01")
    return trips, accepted, rejected


def rules(answer, name):
    trips, _, _ = _month()
    return grade(week03.check_rules, answer.my_rules, trips)


def producer(answer, name):
    _, accepted, rejected = _month()
    try:
        return grade(
            week03.check_producer,
            getattr(answer, "producer_settings", None),
            answer.produce_trips,
            accepted.head(300),
            rejected.head(20),
            name,
            f"{name}-dlq",
        )
    finally:
        lab.topics.delete_topics([name, f"{name}-dlq"])


EXERCISES = {"rules": rules, "producer": producer}


def accounted(answer, name):
    try:
        return grade(lambda: week03.check_accounted(answer.produce_green(name, 1000), name, 1000))
    finally:
        lab.topics.delete_topics([name, f"{name}-dlq"])


EXERCISES["accounted"] = accounted
