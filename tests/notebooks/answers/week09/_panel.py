"""The notebook's panel with its CQL as a parameter."""


def panel(cql):
    return {
        "type": "timeseries",
        "title": "Mean trip duration in zone $zone (s)",
        "datasource": {"type": "hadesarchitect-cassandra-datasource", "uid": "${DS_CASSANDRA}"},
        "targets": [{"refId": "A", "rawQuery": True, "queryType": "query", "target": cql}],
    }
