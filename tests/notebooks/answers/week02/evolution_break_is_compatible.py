"""Wrong (the break is compatible): the "breaking" field has a default, so the registry takes it."""

EXERCISE = "evolution"
EXPECT = "❌"
KEYWORDS = ("compatible", "without")


def evolve(schema):
    schema["fields"].append({"name": "tip_percent", "type": ["null", "double"], "default": None})
    return schema


def break_it(schema):
    schema["fields"].append({"name": "tip_share", "type": "double", "default": 0.0})
    return schema
