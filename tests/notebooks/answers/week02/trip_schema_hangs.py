"""Hangs: a loop that waits for 22 fields but never adds one."""

EXERCISE = "trip_schema"
EXPECT = "❌"
KEYWORDS = ("did not return within",)
TIMEOUT_S = 3


def trip_schema():
    fields = []
    while len(fields) < 22:
        pass
    return {"type": "record", "name": "TaxiTrip", "namespace": "nyc.tlc", "fields": fields}
