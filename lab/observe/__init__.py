"""Observing the pipeline: the lab's metrics, Prometheus queries, dashboards, charts and alerts."""
