"""Week 00's exercises as the notebook grades them."""

import lab
from lab.lessons.exercises import grade, week00


def cql_port(answer, name):
    return grade(lambda: week00.check_cql_port(answer.cql_port()))


def heaviest(answer, name):
    return grade(lambda: week00.check_biggest_service(answer.heaviest_service(lab.stack.status())))


EXERCISES = {"cql_port": cql_port, "heaviest": heaviest}
