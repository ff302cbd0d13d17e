"""Raises: a column that does not exist."""

EXERCISE = "watermark_choice"
EXPECT = "❌"
KEYWORDS = ("pickup_time",)


def watermarked(trips):
    return trips.withWatermark("pickup_time", "20 minutes")
