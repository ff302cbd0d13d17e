"""Wrong (sorted the wrong way): the first row after an ascending sort is the fewest trips."""

EXERCISE = "busiest"
EXPECT = "❌"
KEYWORDS = ("fewest",)


def busiest_window(zw):
    top = zw.sort_values("trips").iloc[0]
    return int(top["zone_id"]), top["window_start"], int(top["trips"])
