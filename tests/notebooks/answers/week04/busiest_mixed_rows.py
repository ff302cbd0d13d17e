"""Wrong (fields of different rows): the maximum trips, but the zone and window of the first row."""

EXERCISE = "busiest"
EXPECT = "❌"
KEYWORDS = ("same row",)


def busiest_window(zw):
    return int(zw["zone_id"].iloc[0]), zw["window_start"].iloc[0], int(zw["trips"].max())
