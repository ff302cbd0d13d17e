"""Wrong (default does not fit the type): tip_percent is a double with default None."""

EXERCISE = "evolution"
EXPECT = "❌"
INJECT = "evolve"  # also run in the week's notebook: Run All goes on
KEYWORDS = ("the default of `tip_percent` is not a double",)


def evolve(schema):
    schema["fields"].append({"name": "tip_percent", "type": "double", "default": None})
    return schema


def break_it(schema):
    schema["fields"].append({"name": "tip_percent", "type": "double"})
    return schema
