"""Week 09's capstone (section 7) as the notebook grades it: each step on a small sample of the month's first trips,
topics and registry subjects named for the test."""

import lab
from lab.lessons.exercises import capstone, grade

SAMPLE = 40


def schema_v3(answer, name):
    subject = f"{name}-capstone-value"
    try:
        return grade(capstone.check_schema_v3, answer.schema_v3, subject)
    finally:
        lab.schemas.delete_subject(subject)


def produce_v3(answer, name):
    try:
        return grade(capstone.check_producer_v3, answer.produce_v3, capstone.sample(SAMPLE), name)
    finally:
        lab.topics.delete_topics([name, f"{name}-dlq"])
        lab.schemas.delete_subject(lab.config.subject(name))


def ddl(answer, name):
    return grade(capstone.check_ddl, answer.zone_durations_ddl)


def duration_windows(answer, name):
    spark = lab.spark.start()
    capstone.create_table(None)
    try:
        return grade(
            capstone.check_stream_v3,
            answer.duration_windows,
            spark=spark,
            trips=capstone.sample(SAMPLE),
            topic=name,
            timeout_s=getattr(answer, "TIMEOUT_S", 180),
        )
    finally:
        lab.topics.delete_topics([name, f"{name}-dlq"])
        lab.schemas.delete_subject(lab.config.subject(name))


def duration_panel(answer, name):
    """The table holds the truth of the sample's windows (what a correct step 4 leaves), as in the notebook."""
    trips = capstone.sample(SAMPLE)
    lab.tables.apply()
    lab.cassandra.session().execute(capstone.DDL.format(table=capstone.TABLE), timeout=120)
    capstone.fill_table(trips)
    return grade(capstone.check_duration_panel, answer.duration_panel, trips)


def duration_alert(answer, name):
    return grade(capstone.check_duration_alert, answer.duration_job_down)


EXERCISES = {
    "schema_v3": schema_v3,
    "produce_v3": produce_v3,
    "ddl": ddl,
    "duration_windows": duration_windows,
    "duration_panel": duration_panel,
    "duration_alert": duration_alert,
}
