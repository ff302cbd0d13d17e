"""Wrong (the watermark on another column): on dropoff_ts, while the windows are of pickup_ts: nothing is dropped."""

EXERCISE = "watermark_choice"
EXPECT = "❌"
KEYWORDS = ("dropoff_ts", "put it on pickup_ts")


def watermarked(trips):
    return trips.withWatermark("dropoff_ts", "20 minutes")
