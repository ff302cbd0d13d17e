"""Wrong (no watermark): the trips as they are; every late trip is counted."""

EXERCISE = "watermark_choice"
EXPECT = "❌"
KEYWORDS = ("no watermark", "12:02")


def watermarked(trips):
    return trips
