"""Week 01's exercises as the notebook grades them."""

from confluent_kafka.admin import AdminClient

import lab
from lab.lessons.exercises import grade, week01


def _conf() -> dict:
    return {"bootstrap.servers": lab.kafka.bootstrap_servers()}


def create_topic(answer, name):
    return grade(week01.check_create_topic, answer.create_topic, AdminClient(_conf()), name)


def round_trip(answer, name):
    return grade(week01.check_round_trip, answer.produce_keyed, answer.consume_all, name, f"{name}-readers")


def lag(answer, name):
    return grade(week01.check_lag, getattr(answer, "consume_all", None), answer.group_lag, name, f"{name}-readers")


EXERCISES = {"create_topic": create_topic, "round_trip": round_trip, "lag": lag}


def in_order(answer, name):
    lab.topics.create(name, partitions=3)
    return grade(lambda: week01.check_same_partition(answer.produce_in_order(name, 20), name, 20))


EXERCISES["in_order"] = in_order
