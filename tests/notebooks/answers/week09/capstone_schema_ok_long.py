"""Right, written differently: a plain long with default 0 (a reader of old trips fills 0), v2 copied field by field."""

EXERCISE = "schema_v3"
EXPECT = "✅"
KEYWORDS = ("duration_s", "registered")


def schema_v3(v2):
    fields = [dict(f) for f in v2["fields"]]
    fields.append({"name": "duration_s", "type": "long", "default": 0})
    return {"type": "record", "name": v2["name"], "namespace": v2["namespace"], "fields": fields}
