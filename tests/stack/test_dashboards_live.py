"""The Grafana dashboards on the real pipeline: every panel's own query returns data once a sample is produced and
streamed (the offline checks of the same dashboards are in tests/unit/test_dashboards.py)."""

from __future__ import annotations

import pytest

from lab import config
from lab.observe import dashboard


@pytest.mark.spark
def test_every_panel_of_every_dashboard_returns_data_from_the_real_pipeline(stack, tmp_path):
    """Produce and stream a sample (plus one undecodable record for the quarantine), then run every panel's
    own query: a panel that errors or comes back empty fails the test (bounded wait for the first scrapes)."""
    from confluent_kafka import Producer

    from lab.observe import charts, metrics
    from lab.pipeline import produce, stream, tables, topics
    from lab.services import exporter, kafka
    from lab.services import spark as lab_spark
    from lab.wait import until

    tables.apply()
    topics.ensure_topics()
    produce.produce("yellow", "2021-01", limit=2000, progress=False)
    poison = Producer({"bootstrap.servers": kafka.bootstrap_servers()})
    poison.produce(config.TRIPS_TOPIC, b"not a confluent frame", b"0")
    assert poison.flush(30) == 0
    spark = lab_spark.start()
    metrics.attach(spark)
    try:
        stream.start(spark=spark, checkpoint_root=str(tmp_path), trigger="availableNow").await_done(600)
        metrics.spark_metrics().poll_fares(force=True)

        def all_panels_have_data():
            bad = [p for name in dashboard.names() for p in dashboard.problems(name)]
            if bad:
                raise AssertionError("\n".join(bad))
            return True

        until(all_panels_have_data, service="every dashboard panel", timeout=120, interval=3.0)
        for name in dashboard.names():  # and every panel draws (the notebook's view of it)
            for result in dashboard.run(name):
                fig = charts.figure(result)
                assert fig.data, f"{name} / {result.title}: empty figure"
    finally:
        exporter.stop_all()  # free the metrics ports for the notebook kernels that run later
        lab_spark.stop()
