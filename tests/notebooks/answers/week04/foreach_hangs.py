"""Hangs: a query that never ends (default trigger), awaited before returning."""

from _solution import upsert_into

EXERCISE = "foreach_batch"
EXPECT = "❌"
KEYWORDS = ("did not return within",)
TIMEOUT_S = 15


def start_to_cassandra(windows, checkpoint):
    writer = windows.writeStream.foreachBatch(upsert_into("week04_windows")).outputMode("update")
    query = writer.option("checkpointLocation", checkpoint).start()
    query.awaitTermination()
    return query
