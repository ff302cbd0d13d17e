"""Wrong (the watermark is not the max event time): every event before 12:31 dropped."""

EXERCISE = "dropped"
EXPECT = "❌"
KEYWORDS = ("max event time minus",)


def dropped_events():
    return ["2021-01-01 12:04", "2021-01-01 12:12", "2021-01-01 12:19", "2021-01-01 12:20", "2021-01-01 12:24"]
