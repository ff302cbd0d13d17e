"""Hangs: looks for the last field by walking the list with an index that never moves."""

EXERCISE = "evolution"
EXPECT = "❌"
KEYWORDS = ("evolve", "did not return within")
TIMEOUT_S = 3


def evolve(schema):
    i = 0
    while schema["fields"][i]["name"] != "cbd_congestion_fee":
        i = i * 1  # meant i += 1
    schema["fields"].append({"name": "tip_percent", "type": ["null", "double"], "default": None})
    return schema


def break_it(schema):
    schema["fields"].append({"name": "tip_percent", "type": "double"})
    return schema
