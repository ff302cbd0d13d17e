"""Raises: a table that does not exist (the query fails inside foreachBatch)."""

from _solution import upsert_into

EXERCISE = "foreach_batch"
EXPECT = "❌"
KEYWORDS = ("failed", "week04_window")


def start_to_cassandra(windows, checkpoint):
    writer = windows.writeStream.foreachBatch(upsert_into("week04_window")).outputMode("update")
    return writer.option("checkpointLocation", checkpoint).trigger(availableNow=True).start()
