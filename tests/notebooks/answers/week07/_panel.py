"""A panel as the notebook's solution builds it, with its CQL given."""

CASSANDRA = {"type": "hadesarchitect-cassandra-datasource", "uid": "${DS_CASSANDRA}"}
WHERE = (
    "WHERE borough IN (${borough:singlequote}) AND day IN (${day:singlequote}) "
    "AND window_start >= $__timeFrom AND window_start <= $__timeTo"
)


def panel_of(cql: str, kind: str = "timeseries") -> dict:
    return {
        "type": kind,
        "title": "Average fare per window (USD)",
        "datasource": CASSANDRA,
        "targets": [{"refId": "A", "datasource": CASSANDRA, "queryType": "query", "rawQuery": True, "target": cql}],
    }
