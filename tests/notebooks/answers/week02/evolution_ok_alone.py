"""Right, alone and written differently: no register (the check uses the lab's), the evolution adds trip_type, the
break changes a field's type."""

EXERCISE = "evolution"
EXPECT = "✅"
KEYWORDS = ("refused with 409",)


def evolve(schema):
    return {**schema, "fields": [*schema["fields"], {"name": "trip_type", "type": ["null", "int"], "default": None}]}


def break_it(schema):
    fields = [dict(f, type="string") if f["name"] == "pu_location_id" else f for f in schema["fields"]]
    return {**schema, "fields": fields}
