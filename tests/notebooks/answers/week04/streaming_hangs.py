"""Hangs: a query that never ends (a processing-time trigger), awaited without a timeout."""

from _solution import read_trips, windows_of  # noqa: F401 - the exercise's other functions

import lab

EXERCISE = "streaming_windows"
EXPECT = "❌"
KEYWORDS = ("did not return within",)
TIMEOUT_S = 15


def zone_windows(trips, window, watermark):
    return windows_of(trips, "pickup_ts", window, "pickup_ts", watermark)


def run_to_memory(windows, name):
    query = (
        windows.writeStream.format("memory").queryName(name).outputMode("complete").trigger(processingTime="1 second")
    )
    query.start().awaitTermination()
    return lab.spark.session().table(name).toPandas()
