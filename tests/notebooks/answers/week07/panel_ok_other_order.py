"""Right, written differently: lower-case CQL, the day before the borough, the datasource on the panel only."""

EXERCISE = "panel"
EXPECT = "✅"
KEYWORDS = ("points of fare_avg",)


def fare_panel():
    cql = (
        "select borough, fare_avg, window_start from kappa.borough_windows "
        "where day in (${day:singlequote}) and borough in (${borough:singlequote}) "
        "and window_start >= $__timeFrom and window_start <= $__timeTo"
    )
    return {
        "type": "timeseries",
        "title": "Fare, average per 5 minutes",
        "datasource": {"type": "hadesarchitect-cassandra-datasource", "uid": "${DS_CASSANDRA}"},
        "targets": [{"refId": "A", "rawQuery": True, "queryType": "query", "target": cql}],
    }
