"""The lab's own Prometheus endpoints: one prometheus_client registry per port, served once, and reading one back.

What each endpoint counts lives beside what it counts: lab.pipeline.produce (the producer), lab.observe.metrics
(Spark's progress, the zone fares)."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)
_lock = threading.Lock()
_exporters: dict[tuple[str, int], Exporter] = {}


class Exporter:
    """One prometheus_client registry served over HTTP on one local port (started once, idempotent)."""

    def __init__(self, port: int):
        from prometheus_client import CollectorRegistry

        self.port = port
        self.registry = CollectorRegistry()
        self.server = None

    def serve(self) -> str:
        """Start the HTTP endpoint (once); returns its /metrics URL."""
        from prometheus_client import start_http_server

        if self.server is None:
            try:
                self.server, _thread = start_http_server(self.port, addr=bind_address(), registry=self.registry)
            except OSError as exc:  # another process of this lab serves the port: count anyway, never fail the caller
                log.warning(
                    "metrics endpoint 127.0.0.1:%s not started (%s); values are kept in this process only",
                    self.port,
                    exc,
                )
        return self.url

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/metrics"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


def bind_address() -> str:
    """Where the endpoints listen: 127.0.0.1, or env LAB_METRICS_ADDR (0.0.0.0 in a pod, so Prometheus can scrape it)."""
    return os.environ.get("LAB_METRICS_ADDR", "127.0.0.1")


def exporter(kind: str, port: int, factory: Callable[[int], Exporter]) -> Exporter:
    with _lock:
        key = (kind, port)
        if key not in _exporters:
            _exporters[key] = factory(port)
        return _exporters[key]


def stop_all() -> None:
    """Stop every metrics endpoint this process serves (tests free the ports for the notebook kernels)."""
    with _lock:
        for exp in _exporters.values():
            exp.stop()


def scrape(url: str, prefix: str = "") -> list[dict]:
    """Read a /metrics endpoint: one dict per sample (name, labels, value), optionally only names starting with `prefix`."""
    import requests
    from prometheus_client.parser import text_string_to_metric_families

    text = requests.get(url, timeout=5).text
    out = []
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            if s.name.startswith(prefix):
                out.append({"name": s.name, "labels": dict(s.labels), "value": s.value})
    return out
