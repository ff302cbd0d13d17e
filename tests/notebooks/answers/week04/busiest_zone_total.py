"""Wrong (the busiest zone, not window): trips summed per zone over all its windows."""

EXERCISE = "busiest"
EXPECT = "❌"
INJECT = "busiest_window"  # also run in the week's notebook: Run All goes on
KEYWORDS = ("total over all its windows", "one zone window")


def busiest_window(zw):
    per_zone = zw.groupby("zone_id")["trips"].sum()
    zone = int(per_zone.idxmax())
    first = zw[zw["zone_id"] == zone]["window_start"].min()
    return zone, first, int(per_zone.max())
