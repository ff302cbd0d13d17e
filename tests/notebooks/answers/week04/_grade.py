"""Week 04's exercises as the notebook grades them: one SparkSession for the test session, one small topic of the
month's trips (and its truth) shared by the answers; the hand-made late trips go to topics the checks make."""

import lab
from lab.lessons.exercises import grade, week04

BUILD = "answers-week04-build"
BUILD_TRIPS = 300
WINDOW, WATERMARK = "5 minutes", "10 minutes"


def _build_topic() -> str:
    """The month's first trips in BUILD (made once; a later answer finds it full)."""
    try:
        full = lab.topics.count_messages(BUILD) == BUILD_TRIPS
    except Exception:  # noqa: BLE001 - no such topic yet
        full = False
    if not full:
        lab.topics.delete_topics([BUILD, f"{BUILD}-dlq"])
        lab.topics.ensure_topics(BUILD, f"{BUILD}-dlq")
        ok, _ = lab.data.validate(lab.data.load("yellow", "2021-01", limit=BUILD_TRIPS * 2), "2021-01")
        lab.produce.produce_frame(ok.head(BUILD_TRIPS), topic=BUILD, dlq=f"{BUILD}-dlq", progress=False)
    return BUILD


def streaming_windows(answer, name):
    spark = lab.spark.start()
    topic = _build_topic()
    truth = lab.truth.aggregate(lab.truth.from_topic(topic), WINDOW)["zone_windows"]
    return grade(
        week04.check_streaming_windows,
        answer.read_trips,
        answer.zone_windows,
        answer.run_to_memory,
        spark,
        topic,
        truth,
        WINDOW,
        WATERMARK,
    )


def foreach_batch(answer, name):
    spark = lab.spark.start()
    week04.prepare_table()
    try:
        return grade(
            week04.check_foreach_batch,
            answer.start_to_cassandra,
            getattr(answer, "read_trips", None),
            getattr(answer, "zone_windows", None),
            spark,
            name,
            str(lab.config.lab_home() / "checkpoints" / name),
            WINDOW,
            WATERMARK,
        )
    finally:
        lab.topics.delete_topics([f"{name}-fb", f"{name}-fb-dlq"])


def _zone_windows():
    """The month's first trips' zone windows, from lab.truth (what the notebook's `zw` holds after the query)."""
    ok, _ = lab.data.validate(lab.data.load("yellow", "2021-01", limit=BUILD_TRIPS), "2021-01")
    return lab.truth.aggregate(ok, WINDOW)["zone_windows"]


def busiest(answer, name):
    return grade(week04.check_busiest, answer.busiest_window, _zone_windows())


EVENTS = ["2021-01-01 12:04", "2021-01-01 12:12", "2021-01-01 12:19", "2021-01-01 12:20", "2021-01-01 12:24"]


def dropped(answer, name):
    return grade(week04.check_dropped, answer.dropped_events, EVENTS, "2021-01-01 12:31", "10 minutes")


def watermark_choice(answer, name):
    spark = lab.spark.start()
    try:
        return grade(week04.check_watermark_choice, answer.watermarked, spark, name)
    finally:
        lab.topics.delete_topics([name, f"{name}-dlq"])


def window_kinds(answer, name):
    spark = lab.spark.start()
    try:
        return grade(week04.check_window_kinds, answer.sliding_counts, answer.activity_sessions, spark, name)
    finally:
        lab.topics.delete_topics([name, f"{name}-dlq"])


def trimmed_fares(answer, name):
    return grade(week04.check_trimmed_fares, answer.zone_trimmed_fares, lab.spark.start())


EXERCISES = {
    "streaming_windows": streaming_windows,
    "foreach_batch": foreach_batch,
    "busiest": busiest,
    "dropped": dropped,
    "watermark_choice": watermark_choice,
    "window_kinds": window_kinds,
    "trimmed_fares": trimmed_fares,
}
