"""Week 4 exercise checks: the Confluent frame by hand, the busiest zone window, which events a watermark drops."""
from __future__ import annotations

import pandas as pd

from lab.lessons.exercises import expect


def check_schema_id(answer, value: bytes) -> str:
    """`answer` is the schema id in the 5-byte header of the Kafka value `value`."""
    expect(answer is not None, "read bytes 1–4 of the value first: the answer is still None")
    expect(value[0] == 0, "this value is not a Confluent frame (byte 0 must be 0)")
    want = int.from_bytes(value[1:5], "big")
    expect(int(answer) == want, f"{answer} is not it: bytes 1–4 are big-endian (hint: int.from_bytes(…, 'big'))")
    return f"schema id {want}: GET /schemas/ids/{want} gives the writer schema"


def check_busiest(answer, expected: pd.DataFrame) -> str:
    """`answer` = (zone_id, window_start, trips) of the zone window with the most trips."""
    expect(answer is not None and len(answer) == 3, "answer with a tuple (zone_id, window_start, trips)")
    zone_id, start, trips = answer
    top = expected["trips"].max()
    best = expected[expected["trips"] == top]
    expect(int(trips) == int(top), f"{trips} trips is not the maximum of any zone window")
    hit = best[(best["zone_id"] == int(zone_id)) & (best["window_start"] == pd.Timestamp(start))]
    expect(not hit.empty, f"zone {zone_id} at {start} does not have {top} trips")
    return f"zone {int(zone_id)} ({hit.iloc[0]['zone']}) had {top} trips in the window starting {pd.Timestamp(start)}"


def dropped(events: list[str], max_event_time: str, watermark: str, window: str = "5 minutes") -> list[str]:
    """The events a windowed aggregation drops: their window ended at or before (max event time - watermark)."""
    wm = pd.Timestamp(max_event_time) - pd.Timedelta(watermark)
    size = pd.Timedelta(window)
    return [e for e in events if pd.Timestamp(e).floor(size) + size <= wm]


def check_dropped(answer, events: list[str], max_event_time: str, watermark: str, window: str = "5 minutes") -> str:
    """`answer` lists the events (from `events`) that arrive too late and are dropped."""
    expect(answer is not None, "list the dropped events: the answer is still None")
    want = dropped(events, max_event_time, watermark, window)
    expect(sorted(answer) == sorted(want),
           f"not quite: the watermark is {pd.Timestamp(max_event_time) - pd.Timedelta(watermark)}; an event is dropped "
           "when its whole window ended at or before the watermark")
    return f"dropped: {', '.join(want) or 'none'}"
