"""Week 07's exercises as the notebook grades them. The panel renders in the trips dashboard's context against
kappa.borough_windows and kappa.top_zones, which get the month's first trips' rows (lab.truth) first; the other three
need no service but promtool."""

import lab
from lab.lessons.exercises import grade, week07

TRIPS = 300


def panel(answer, name):
    ok, _ = lab.data.validate(lab.data.load("yellow", "2021-01", limit=TRIPS), "2021-01")
    expected = lab.truth.aggregate(ok)
    lab.tables.apply()
    for table in ("borough_windows", "top_zones"):
        lab.tables.write(table, expected[table])
    return grade(week07.check_panel, answer.fare_panel)


def cassandra_panels(answer, name):
    return grade(week07.check_cassandra_panels, answer.cassandra_panel_titles, lab.dashboard.load("pipeline"))


def interpolated(answer, name):
    return grade(week07.check_interpolated, answer.trips_cql)


def silent(answer, name):
    return grade(week07.check_silent_topic_rule, answer.trips_topic_silent)


EXERCISES = {"panel": panel, "cassandra_panels": cassandra_panels, "interpolated": interpolated, "silent": silent}
