"""Unit tests of the lab's own exporters (no services): listener → gauges, producer counters, JMX rule coverage."""

from __future__ import annotations

import json
import re
import socket
from types import SimpleNamespace as NS

import pytest
import yaml

from lab import config
from lab.observe import metrics
from lab.pipeline import produce
from lab.services import exporter

JMX = config.REPO_ROOT / "lab" / "resources" / "jmx"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _progress(batch: int, rows: int, end: dict, latest: dict, dropped: int = 0):
    src = NS(
        endOffset=json.dumps({"taxi-trips": end}),
        latestOffset=json.dumps({"taxi-trips": latest}),
        metrics={"minOffsetsBehindLatest": "0", "avgOffsetsBehindLatest": "2.5", "maxOffsetsBehindLatest": "5"},
    )
    return NS(
        name="trips",
        id="q-1",
        batchId=batch,
        numInputRows=rows,
        inputRowsPerSecond=float("nan"),
        processedRowsPerSecond=120.0,
        batchDuration=1500,
        eventTime={"watermark": "2021-01-01T00:10:00.000Z"},
        stateOperators=[NS(numRowsTotal=40, numRowsDroppedByWatermark=dropped)],
        sources=[src],
    )


def test_progress_events_become_gauges_and_counters():
    m = metrics.SparkMetrics(_free_port())
    m.started("q-1", "trips")
    m.progress(_progress(0, 100, {"0": 10, "1": 20}, {"0": 15, "1": 20}))
    m.progress(_progress(1, 50, {"0": 15, "1": 20}, {"0": 15, "1": 22}, dropped=3))
    v = lambda name, **labels: m.registry.get_sample_value(name, labels)
    assert v("lab_spark_input_rows_total", query="trips") == 150
    assert v("lab_spark_input_rows_per_second", query="trips") == 0.0  # NaN is reported as 0
    assert v("lab_spark_batch_duration_seconds", query="trips") == 1.5
    assert v("lab_spark_rows_dropped_by_watermark_total", query="trips") == 3
    assert v("lab_spark_state_rows", query="trips") == 40
    assert v("lab_spark_offsets_behind_latest", query="trips", stat="max") == 5
    assert v("lab_spark_source_end_offset", query="trips", topic="taxi-trips", partition="0") == 15
    assert v("lab_spark_partition_offsets_behind_latest", query="trips", topic="taxi-trips", partition="1") == 2
    assert v("lab_spark_watermark_seconds", query="trips") == 1609459800
    assert m.end_offsets("trips", batch_id=1) == {"0": 15, "1": 20}
    m.terminated("q-1")
    assert v("lab_spark_query_active", query="trips") == 0


def test_an_idle_querys_next_batch_id_counts_as_seen_after_an_idle_event():
    """Spark 3.5: an idle query's lastProgress carries the id of the batch it will run next, and no progress event
    comes for it (seen with week 06's query): end_offsets must not wait for it, but must for a batch still to run."""
    from lab.errors import ServiceNotReady

    m = metrics.SparkMetrics(_free_port())
    m.started("q-1", "trips")
    m.progress(_progress(0, 100, {"0": 10, "1": 20}, {"0": 15, "1": 20}))
    with pytest.raises(ServiceNotReady):
        m.end_offsets("trips", batch_id=1, timeout=0.3)  # batch 1 has not been reported, no idle event yet
    m.idle("q-1")
    assert m.end_offsets("trips", batch_id=1, timeout=0.3) == {"0": 10, "1": 20}
    with pytest.raises(ServiceNotReady):
        m.end_offsets("trips", batch_id=2, timeout=0.3)
    m.progress(_progress(1, 5, {"0": 15, "1": 20}, {"0": 16, "1": 24}))
    with pytest.raises(ServiceNotReady):
        m.end_offsets("trips", batch_id=2, timeout=0.3)  # a batch ran after the idle event: the flag is gone


def test_zone_fares_come_from_the_fetch_and_a_broken_fetch_is_only_logged(caplog):
    m = metrics.SparkMetrics(_free_port())
    row = {"zone_id": 132, "zone": "JFK Airport", "fare_avg": 52.5, "trips": 12, "window_start": 1609459200}
    m.watch_fares(lambda: [row])
    assert m.poll_fares(force=True) == 1
    assert m.registry.get_sample_value("lab_zone_window_avg_fare", {"zone": "132", "name": "JFK Airport"}) == 52.5
    m.watch_fares(lambda: 1 / 0)
    with caplog.at_level("WARNING", logger=metrics.log.name):
        assert [m.poll_fares(force=True) for _ in range(3)] == [0, 0, 0]
        m.watch_fares(lambda: [row])
        assert m.poll_fares(force=True) == 1
    said = [r.getMessage() for r in caplog.records if "zone fare refresh" in r.getMessage()]
    assert len(said) == 2, said  # an outage is said once, and its end once: not once per refresh
    assert "division by zero" in said[0] and said[1] == "zone fare refresh works again"
    m.unwatch_fares()


def test_a_fare_fetch_that_never_returns_holds_up_no_progress_event():
    """Spark's listener bus waits for each Python callback, and SparkSession.stop() waits for the bus: a callback
    that blocked on Cassandra once hung a CI run. The fares are refreshed by the exporter's own thread instead."""
    import threading

    m = metrics.SparkMetrics(_free_port())
    entered, release = threading.Event(), threading.Event()
    calls = []

    def stuck():
        calls.append(1)
        entered.set()
        release.wait(30)
        return [{"zone_id": 7, "zone": "Astoria", "fare_avg": 11.0, "trips": 3, "window_start": 1609459200}]

    m.watch_fares(stuck, every_s=0.05)
    try:
        assert entered.wait(5), "the refresh thread never fetched"
        done = threading.Event()
        threading.Thread(
            target=lambda: (m.started("q-1", "trips"), m.progress(_progress(0, 1, {"0": 0}, {"0": 1})), done.set()),
            daemon=True,
        ).start()
        assert done.wait(5), "a progress event waited for the fare fetch"
        assert m.registry.get_sample_value("lab_spark_batch_id", {"query": "trips"}) == 0
    finally:
        release.set()
        m.unwatch_fares()


def test_producer_counters_tally_and_send_rate_served_over_http():
    m = produce.ProducerMetrics(_free_port())
    tally = m.tally("taxi-trips")
    tally(100, 0)
    tally(250, 2)
    m.dlq("negative_amount", 7)
    url = m.serve()
    try:
        samples = {
            (s["name"], tuple(sorted(s["labels"].items()))): s["value"] for s in exporter.scrape(url, "lab_producer")
        }
    finally:
        m.stop()
    assert samples[("lab_producer_messages_delivered_total", (("topic", "taxi-trips"),))] == 250
    assert samples[("lab_producer_messages_failed_total", (("topic", "taxi-trips"),))] == 2
    assert samples[("lab_producer_dlq_messages_total", (("reason", "negative_amount"),))] == 7
    assert samples[("lab_producer_send_rate", ())] == pytest.approx(250 / m.WINDOW_S)


def test_start_offsets_of_a_progress_dict():
    assert metrics.start_offsets({"sources": [{"startOffset": {"taxi-trips": {"0": 5, "1": 9}}}]}) == {"0": 5, "1": 9}


def _jmx_name_patterns() -> list[re.Pattern]:
    out = []
    for f in JMX.glob("*.yaml"):
        if f.name == "kustomization.yaml":
            continue
        cfg = yaml.safe_load(f.read_text())
        for rule in cfg["rules"]:
            re.compile(rule["pattern"])  # a broken regex would silently drop metrics
            out.append(re.compile(re.sub(r"\\\$\d+", ".+", re.escape(rule["name"].lower())) + "$"))
    return out


def test_every_kafka_and_cassandra_metric_used_in_rules_and_dashboards_has_a_jmx_rule():
    from lab.observe import dashboard

    exprs = [
        r["expr"]
        for f in (config.REPO_ROOT / "lab" / "resources" / "prometheus" / "rules").glob("*.yml")
        for g in yaml.safe_load(f.read_text())["groups"]
        for r in g["rules"]
    ]
    exprs += [
        t["expr"]
        for name in dashboard.names()
        for p in dashboard.panels(dashboard.load(name))
        for t in p["targets"]
        if "expr" in t
    ]
    used = {m for e in exprs for m in re.findall(r"(?<![:\w])((?:kafka|cassandra)_[a-z0-9_]+)", e)}
    assert len(used) >= 3, used
    patterns = _jmx_name_patterns()
    missing = sorted(n for n in used if not any(p.match(n) for p in patterns))
    assert not missing, f"no JMX exporter rule produces {missing}"
