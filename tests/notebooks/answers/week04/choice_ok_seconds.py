"""Right, written differently: the delay in seconds (21 minutes, inside the range that drops exactly 12:02, 12:09)."""

EXERCISE = "watermark_choice"
EXPECT = "✅"
KEYWORDS = ("21 minutes", "12:02 dropped", "12:13 late, kept")


def watermarked(trips):
    return trips.withWatermark(eventTime="pickup_ts", delayThreshold="1260 seconds")
