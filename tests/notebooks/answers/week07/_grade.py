"""Week 07's stream exercises as the notebook grades them (the other week-7 exercises are checked without Spark): one
SparkSession for the test session; each check makes its own topics of hand-made events from `name`."""

import lab
from lab.lessons.exercises import grade, stateful


def _cleaned(run):
    """`run` that deletes the topics its check made (many topics slow the broker's metrics scrape)."""

    def graded(answer, name):
        try:
            return run(answer, name)
        finally:
            lab.topics.delete_topics(stateful.topics_made(name))

    return graded


@_cleaned
def surge_join(answer, name):
    return grade(stateful.check_surge_join, answer.surge_trips, lab.spark.start(), name, "10 minutes", "10 minutes")


@_cleaned
def fare_anomalies(answer, name):
    return grade(stateful.check_fare_anomalies, answer.fare_anomalies, lab.spark.start(), name)


@_cleaned
def anomalies_to_kafka(answer, name):
    return grade(
        stateful.check_anomalies_to_kafka,
        answer.anomalies_to_kafka,
        getattr(answer, "fare_anomalies", None),
        lab.spark.start(),
        name,
    )


EXERCISES = {"surge_join": surge_join, "fare_anomalies": fare_anomalies, "anomalies_to_kafka": anomalies_to_kafka}
