"""Wrong (a type change): the field is added right, but trip_distance becomes a float on the way."""

EXERCISE = "schema_v3"
EXPECT = "❌"
KEYWORDS = ("trip_distance", "type")


def schema_v3(v2):
    fields = [{**f, "type": "float"} if f["name"] == "trip_distance" else f for f in v2["fields"]]
    return {**v2, "fields": [*fields, {"name": "duration_s", "type": ["null", "long"], "default": None}]}
