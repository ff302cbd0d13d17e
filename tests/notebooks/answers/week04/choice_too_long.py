"""Wrong (too long a delay): 30 minutes puts the watermark at 12:03, so 12:09's window is still open."""

EXERCISE = "watermark_choice"
EXPECT = "❌"
KEYWORDS = ("waits 30 minutes", "12:03", "12:09 counted", "wait less")


def watermarked(trips):
    return trips.withWatermark("pickup_ts", "30 minutes")
