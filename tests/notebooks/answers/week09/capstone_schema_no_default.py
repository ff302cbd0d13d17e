"""Wrong (no default): the new field without a default; the registry refuses it under BACKWARD."""

EXERCISE = "schema_v3"
EXPECT = "❌"
KEYWORDS = ("registry refuses", "no default")


def schema_v3(v2):
    return {**v2, "fields": [*v2["fields"], {"name": "duration_s", "type": "long"}]}
