"""Right, written differently: the panel's target with each variable and macro replaced in code."""

from datetime import UTC, datetime

import lab

EXERCISE = "interpolated"
EXPECT = "✅"
KEYWORDS = ("exactly what the Cassandra plugin runs",)


def trips_cql():
    panel = next(
        p for p in lab.dashboard.panels(lab.dashboard.load("trips")) if p["title"] == "Trips per 5-minute window"
    )
    start = int(datetime(2021, 1, 1, tzinfo=UTC).timestamp() * 1000)
    end = int(datetime(2021, 1, 2, tzinfo=UTC).timestamp() * 1000)
    return (
        panel["targets"][0]["target"]
        .replace("${borough:singlequote}", "'Manhattan'")
        .replace("${day:singlequote}", "'2021-01-01'")
        .replace("$__timeFrom", str(start))
        .replace("$__timeTo", str(end))
    )
