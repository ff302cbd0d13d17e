"""Wrong (no checkpoint): a restarted query reads the topic from the start again."""

from _solution import read_trips, upsert_into, windows_of  # noqa: F401 - the exercise's other functions

EXERCISE = "foreach_batch"
EXPECT = "❌"
KEYWORDS = ("replayed", "checkpoint")


def zone_windows(trips, window, watermark):
    return windows_of(trips, "pickup_ts", window, "pickup_ts", watermark)


def start_to_cassandra(windows, checkpoint):
    return (
        windows.writeStream.foreachBatch(upsert_into("week04_windows"))
        .outputMode("update")
        .trigger(availableNow=True)
        .start()
    )
