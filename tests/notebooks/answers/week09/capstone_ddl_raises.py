"""Raises: a CQL syntax error (a missing comma); Cassandra's own message is the line."""

EXERCISE = "ddl"
EXPECT = "❌"
KEYWORDS = ("Cassandra refuses",)


def zone_durations_ddl(table):
    return f"CREATE TABLE kappa.{table} (zone_id int day date, PRIMARY KEY (zone_id))"
