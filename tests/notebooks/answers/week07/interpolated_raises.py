"""Raises: a datetime formatted with a directive that needs an int."""

EXERCISE = "interpolated"
EXPECT = "❌"
KEYWORDS = ("ValueError", "interpolated_raises.py")


def trips_cql():
    return "SELECT … window_start >= {:d}".format("1609459200000")
