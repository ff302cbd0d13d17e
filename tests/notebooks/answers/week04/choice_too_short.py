"""Wrong (too short a delay): 15 minutes puts the watermark at 12:18, past the window of 12:13 too."""

EXERCISE = "watermark_choice"
EXPECT = "❌"
KEYWORDS = ("waits 15 minutes", "12:18", "12:13 dropped too", "wait longer")


def watermarked(trips):
    return trips.withWatermark("pickup_ts", "15 minutes")
