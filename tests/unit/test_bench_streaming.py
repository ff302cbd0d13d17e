"""bench/streaming.py's own instruments: the per-trip freshness clock and the trip → micro-batch mapping."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest

from lab import config
from lab.pipeline import sink


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_streaming", config.REPO_ROOT / "bench" / "streaming.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def progress(batch: int, start: dict, end: dict, topic: str = "t") -> dict:
    offsets = lambda d: {topic: {str(p): o for p, o in d.items()}}  # noqa: E731 - Spark's JSON: partition as text
    return {"batchId": batch, "sources": [{"startOffset": offsets(start), "endOffset": offsets(end)}]}


def test_each_trip_is_timed_by_the_batch_whose_offsets_hold_it(bench):
    runs = [
        progress(5, {0: 0, 1: 0}, {0: 3, 1: 2}),
        progress(6, {0: 3, 1: 2}, {0: 5, 1: 4}),
        progress(7, {0: 5, 1: 4}, {0: 6, 1: 4}),  # no zone_windows save timed: its trips are left out
    ]
    written = {5: 100.0, 6: 101.0}
    sent = pd.DataFrame(
        {
            "partition": [0, 0, 0, 1, 1, 0, 0],
            "offset": [1, 2, 3, 1, 3, 5, np.nan],  # the last one was never acknowledged
            "ack": [99.5, 99.9, 100.2, 99.0, 100.5, 101.5, np.nan],
        }
    )
    got = sorted(np.round(bench.trip_delays(sent, runs, written, "t"), 3))
    assert got == [0.1, 0.5, 0.5, 0.8, 1.0]


def test_the_clock_keeps_the_first_zone_windows_save_of_each_batch_and_restores_lab_sink(bench, monkeypatch):
    saved = []
    monkeypatch.setattr(sink, "save", lambda df, table: saved.append(table))

    def window_writer(*args, **kwargs):
        def write(batch, epoch_id):
            sink.save(batch, "zone_windows")
            sink.save(batch, "top_zones")
            sink.save(batch, "zone_windows")  # written again (a ride-out): the first save counts

        return write

    monkeypatch.setattr(sink, "window_writer", window_writer)
    real_save, real_writer = sink.save, sink.window_writer
    with bench.zone_write_clock({}) as written:
        write = sink.window_writer()
        write(None, 3)
        first = written[3]
        write(None, 4)
    assert sorted(written) == [3, 4] and written[4] >= first
    assert saved == ["zone_windows", "top_zones", "zone_windows"] * 2
    assert (sink.save, sink.window_writer) == (real_save, real_writer)
