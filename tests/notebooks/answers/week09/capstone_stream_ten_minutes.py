"""Wrong (window length): 10-minute windows."""

from _stream import windows

EXERCISE = "duration_windows"
EXPECT = "❌"
KEYWORDS = ("10 minutes", "5 minutes")


def duration_windows(spark, topic, schema):
    return windows(spark, topic, schema, length="10 minutes")
