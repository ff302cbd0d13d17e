"""Hangs: a loop that waits for a condition that never comes."""

EXERCISE = "watermark_choice"
EXPECT = "❌"
KEYWORDS = ("did not return within",)
TIMEOUT_S = 5


def watermarked(trips):
    delay = 0
    while delay != 20.5:
        delay = (delay + 1) % 60
    return trips.withWatermark("pickup_ts", f"{delay} minutes")
