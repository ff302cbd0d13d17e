"""Wrong (no watermark): the windows are right, but a live job would keep every window's state forever."""

from _stream import windows

EXERCISE = "duration_windows"
EXPECT = "❌"
KEYWORDS = ("no watermark",)


def duration_windows(spark, topic, schema):
    return windows(spark, topic, schema, watermark=None)
