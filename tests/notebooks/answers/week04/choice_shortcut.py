"""Shortcut: the check's own fates pick the delay."""

import lab

EXERCISE = "watermark_choice"
EXPECT = "❌"
KEYWORDS = ("lab's own implementation",)


def watermarked(trips):
    for minutes in range(1, 60):
        fates = lab.exercises.week04.choice_trips(f"{minutes} minutes")
        if [t.pickup.minute for t in fates if t.fate == "dropped"] == [2, 9]:
            return trips.withWatermark("pickup_ts", f"{minutes} minutes")
    return trips
