"""Wrong (the field's type): minutes as a double, compatible but not the whole seconds the contract asks for."""

EXERCISE = "schema_v3"
EXPECT = "❌"
KEYWORDS = ("long",)


def schema_v3(v2):
    return {**v2, "fields": [*v2["fields"], {"name": "duration_s", "type": ["null", "double"], "default": None}]}
