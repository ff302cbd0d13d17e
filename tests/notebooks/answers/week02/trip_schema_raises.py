"""Raises: a field looked up under a name it does not have."""

EXERCISE = "trip_schema"
EXPECT = "❌"
KEYWORDS = ("KeyError", "trip_schema_raises.py")

TYPES = {"trip_id": "string", "service": "string"}


def trip_schema():
    return {
        "type": "record",
        "name": "TaxiTrip",
        "fields": [{"name": n, "type": TYPES[n]} for n in ("trip_id", "vendor")],
    }
