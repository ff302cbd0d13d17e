"""Wrong (no watermark in the query it writes): the late trips reach Cassandra."""

from _solution import read_trips, upsert_into, windows_of  # noqa: F401 - the exercise's other functions

EXERCISE = "foreach_batch"
EXPECT = "❌"
KEYWORDS = ("after run 2", "dropped")


def zone_windows(trips, window, watermark):
    return windows_of(trips, "pickup_ts", window, None, None)


def start_to_cassandra(windows, checkpoint):
    writer = windows.writeStream.foreachBatch(upsert_into("week04_windows")).outputMode("update")
    return writer.option("checkpointLocation", checkpoint).trigger(availableNow=True).start()
