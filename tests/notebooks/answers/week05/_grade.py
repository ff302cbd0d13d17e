"""Week 05's exercises as the notebook grades them, on hand-made data: the month's first trips moved to a day of
their own (2020-06-15), so their zone_windows rows are the answers' and no other test's."""

import sys
import types

import numpy as np
import pandas as pd

import lab
from lab.lessons import mismatch as scene
from lab.lessons.exercises import grade, week05

DAY = pd.Timestamp("2020-06-15")


def _trips() -> pd.DataFrame:
    ok, _ = lab.data.validate(lab.data.load("yellow", "2021-01", limit=300), "2021-01")
    # spread over the day, one trip every 3 minutes, so hours and windows differ
    pickups = pd.Series(DAY + pd.to_timedelta(np.arange(len(ok)) * 3, unit="min"), index=ok.index)
    return ok.assign(
        pickup_ts=pickups.astype(ok["pickup_ts"].dtype),
        dropoff_ts=(pickups + pd.Timedelta(minutes=9)).astype(ok["dropoff_ts"].dtype),
    )


def borough_table(answer, name):
    expected = lab.truth.aggregate(_trips())
    return grade(
        week05.check_borough_table,
        answer.create_borough_hourly,
        answer.hourly_revenue,
        answer.upsert_hourly,
        expected["zone_windows"],
        expected["borough_windows"],
    )


def zone_day(answer, name):
    expected = lab.truth.aggregate(_trips())["zone_windows"]
    zone = int(expected.groupby("zone_id")["trips"].sum().idxmax())
    day = str(DAY.date())
    session = lab.tables.connect()
    lab.tables.write("zone_windows", expected[expected["zone_id"] == zone], session)
    try:
        return grade(week05.check_zone_day_query, answer.zone_day_query, expected, zone, day)
    finally:
        session.execute("DELETE FROM kappa.zone_windows WHERE zone_id = %s AND day = %s", (zone, DAY.date()))


# what several answers share in one test session (this file is loaded again for each answer)
_SHARED = sys.modules.setdefault("answers_week05_shared", types.ModuleType("answers_week05_shared")).__dict__


def really_dropped(answer, name):
    if "demo" not in _SHARED:  # the real late-data demo (Spark, ~20 s): once per session
        lab.spark.start()
        _SHARED["demo"] = lab.late.demo(topic="answers-week05-late")
    return grade(week05.check_really_dropped, answer.really_dropped, _SHARED["demo"])


def borough_from_zones(answer, name):
    expected = lab.truth.aggregate(_trips())
    return grade(
        week05.check_borough_from_zones,
        answer.borough_from_zones,
        expected["zone_windows"],
        expected["borough_windows"],
        "Manhattan",
    )


def mismatch(answer, name):
    """The scene of the notebook's section: a broken producer's trips in a topic of this answer, quarantined by the
    lab's job; then the answer's diagnose and fix."""
    lab.spark.start()
    lab.tables.apply()
    broken = scene.broken_producer(name, 60)
    lab.stream.reset(scene.mismatch_job(name))  # the job's checkpoint is of another answer's topic
    scene.run_job(broken.topic)
    try:
        return grade(week05.check_mismatch, answer.diagnose, answer.fix, broken)
    finally:
        lab.topics.delete_topics([name, f"{name}-dlq"])
        for subject in (lab.config.subject(name), name):
            lab.schemas.delete_subject(subject)


EXERCISES = {
    "borough_table": borough_table,
    "zone_day": zone_day,
    "really_dropped": really_dropped,
    "borough_from_zones": borough_from_zones,
    "mismatch": mismatch,
}
