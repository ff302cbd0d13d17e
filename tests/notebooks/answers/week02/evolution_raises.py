"""Raises: the fields looked up as a dict."""

EXERCISE = "evolution"
EXPECT = "❌"
KEYWORDS = ("TypeError", "evolution_raises.py")


def evolve(schema):
    schema["fields"]["tip_percent"] = {"type": ["null", "double"], "default": None}
    return schema


def break_it(schema):
    return schema
