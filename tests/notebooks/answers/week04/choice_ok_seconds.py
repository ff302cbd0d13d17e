"""Right, written differently: the delay in seconds (21 minutes, inside the range that drops exactly 12:02, 12:09)."""

EXERCISE = "watermark_choice"
EXPECT = "✅"
KEYWORDS = ("waits 21 minutes", "at 12:12", "late, kept: 12:13, 12:22, 12:27", "dropped: 12:02, 12:09")


def watermarked(trips):
    return trips.withWatermark(eventTime="pickup_ts", delayThreshold="1260 seconds")
