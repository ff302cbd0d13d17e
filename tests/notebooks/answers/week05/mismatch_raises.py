"""Raises: the quarantine rows read with a column name the table does not have."""

from _mismatch import fix, quarantine_rows  # noqa: F401

EXERCISE = "mismatch"
EXPECT = "❌"
KEYWORDS = ("KeyError", "mismatch_raises.py")


def diagnose(topic):
    rows = quarantine_rows(topic)
    return {r: {"records": len(g), "frame_id": int(g["frame_id"].iloc[0])} for r, g in rows.groupby("reason")}
