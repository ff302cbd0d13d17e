"""Wrong (the frame's id taken for the body's schema): body_id is the id in the frame, not the schema that reads
the bytes."""

from _mismatch import diagnose as solution
from _mismatch import fix  # noqa: F401

EXERCISE = "mismatch"
EXPECT = "❌"
KEYWORDS = ("body_id", "uses every byte")


def diagnose(topic):
    out = solution(topic)
    return {reason: {**d, "body_id": d["frame_id"]} for reason, d in out.items()}
