"""Each alert fires on its fault and goes back to inactive after recovery, evaluated by the real Prometheus.

Prometheus scrapes and evaluates every second here (lab.alerts.fast), so the whole module takes a few minutes.
The faults: a flood of invalid rows (DLQRateHigh), a stopped query while trips keep arriving (PipelineStalled,
SparkLagHigh), and a window of absurd fares in one zone (FareAnomaly).
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from lab.lessons import incidents
from lab.observe import alerts, metrics
from lab.pipeline import produce, stream, tables, topics
from lab.services import exporter, prometheus
from lab.services import spark as lab_spark
from lab.wait import until

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def fast_prometheus(stack):
    alerts.fast("1s")
    yield
    alerts.set_intervals()


@pytest.fixture(scope="module")
def pipeline(fast_prometheus, tmp_path_factory):
    """Trips produced and streamed into Cassandra by a running query whose listener exports metrics."""
    tables.apply()
    topics.ensure_topics()
    produce.produce("yellow", "2021-01", limit=2000, progress=False)
    spark = lab_spark.start()
    metrics.attach(spark)
    state = {"spark": spark, "root": str(tmp_path_factory.mktemp("checkpoints"))}
    state["run"] = stream.start(spark=spark, checkpoint_root=state["root"], trigger="1 second")
    state["run"].process_all_available()
    yield state
    state["run"].stop()
    exporter.stop_all()  # free the metrics ports for the notebook kernels that run later
    lab_spark.stop()


def _keep_producing(stop: threading.Event, rows) -> None:
    while not stop.is_set():
        produce.produce_frame(rows, progress=False)
        stop.wait(0.5)


def test_dlq_flood_fires_dlq_rate_high_and_it_resolves(pipeline):
    alerts.wait("DLQRateHigh", "inactive", timeout=60)
    assert incidents.flood_dlq(600) == 600
    alerts.wait("DLQRateHigh", "firing", timeout=60)
    alerts.wait("DLQRateHigh", "inactive", timeout=90)  # the 20 s rate window moves past the flood


def test_stopped_query_fires_pipeline_stalled_and_lag_high_and_restart_resolves_them(pipeline):
    alerts.wait("PipelineStalled", "inactive", timeout=60)
    alerts.wait("SparkLagHigh", "inactive", timeout=60)
    pipeline["run"].stop()
    stop = threading.Event()
    producer = threading.Thread(target=_keep_producing, args=(stop, incidents.sample_trips(150)), daemon=True)
    producer.start()
    try:
        alerts.wait("SparkLagHigh", "firing", timeout=90)
        alerts.wait("PipelineStalled", "firing", timeout=90)
    finally:
        stop.set()
        producer.join(timeout=60)
    pipeline["run"] = stream.start(spark=pipeline["spark"], checkpoint_root=pipeline["root"], trigger="1 second")
    pipeline["run"].process_all_available()
    alerts.wait("SparkLagHigh", "inactive", timeout=90)
    alerts.wait("PipelineStalled", "inactive", timeout=90)


def test_absurd_fares_in_one_zone_fire_fare_anomaly_and_normal_fares_resolve_it(pipeline):
    latest = metrics.latest_zone_fares()
    assert latest, "no zone windows in Cassandra"
    busiest = max(latest, key=lambda r: r["trips"])
    zone, normal = str(busiest["zone_id"]), float(busiest["fare_avg"])
    newest = max(r["window_start"] for r in latest)
    # the baseline needs a history: wait until Prometheus holds enough samples of the zone's fare
    prometheus_has = lambda: prometheus.query(f'count_over_time(lab_zone_window_avg_fare{{zone="{zone}"}}[10m]) >= 15')
    until(prometheus_has, service=f"fare history of zone {zone}", timeout=60, interval=1.0)
    alerts.wait("FareAnomaly", "inactive", timeout=60, zone=zone)

    incidents.inject_fares(int(zone), newest + timedelta(minutes=10), fare=min(999.0, max(10 * normal, 100.0)))
    alerts.wait("FareAnomaly", "firing", timeout=60, zone=zone)

    incidents.inject_fares(int(zone), newest + timedelta(minutes=15), fare=normal)
    alerts.wait("FareAnomaly", "inactive", timeout=60, zone=zone)
