"""Wrong (event time, not window end): every event older than the watermark (12:21), so 12:20 too."""

EXERCISE = "dropped"
EXPECT = "❌"
KEYWORDS = ("12:20", "still open", "whole window")


def dropped_events():
    return ["2021-01-01 12:04", "2021-01-01 12:12", "2021-01-01 12:19", "2021-01-01 12:20"]
