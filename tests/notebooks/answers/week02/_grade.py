"""Week 02's exercises as the notebook grades them."""

from confluent_kafka.serialization import MessageField, SerializationContext

import lab
from lab.lessons.exercises import grade, week02


def trip_schema(answer, name):
    return grade(week02.check_trip_schema, answer.trip_schema)


def register(answer, name):
    return grade(week02.check_register, answer.register, f"{name}-value")


def evolution(answer, name):
    return grade(
        week02.check_evolution, getattr(answer, "register", None), answer.evolve, answer.break_it, f"{name}-value"
    )


def decode(answer, name):
    trip = lab.wire.to_dict(lab.data.load("yellow", "2021-01", limit=1).drop(columns="trip_type").iloc[0])
    message = lab.schemas.serializer(lab.schemas.V1)(trip, SerializationContext(name, MessageField.VALUE))
    try:
        return grade(week02.check_decoded, message, answer.decode_frame)
    finally:
        lab.schemas.delete_subject(f"{name}-value")


EXERCISES = {"trip_schema": trip_schema, "register": register, "evolution": evolution, "decode": decode}
