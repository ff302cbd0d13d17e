"""The lab's own Prometheus endpoints: one prometheus_client registry per port, served once; the producer's counters."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable

from lab import config

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


class ProducerMetrics(Exporter):
    """Counters for the producer: delivered, failed, dead-lettered (by reason), and a recent send rate."""

    WINDOW_S = 5.0

    def __init__(self, port: int):
        super().__init__(port)
        from prometheus_client import Counter, Gauge

        r = self.registry
        self._delivered = Counter(
            "lab_producer_messages_delivered", "Messages acknowledged by Kafka", ["topic"], registry=r
        )
        self._failed = Counter(
            "lab_producer_messages_failed", "Messages Kafka did not acknowledge", ["topic"], registry=r
        )
        self._dlq = Counter(
            "lab_producer_dlq_messages", "Rows sent to the dead-letter topic, by reason", ["reason"], registry=r
        )
        self._recent: deque[tuple[float, int]] = deque()  # (when, how many were delivered then)
        rate = Gauge("lab_producer_send_rate", "Messages delivered per second over the last 5 s", registry=r)
        rate.set_function(self.send_rate)

    def delivered(self, topic: str, n: int = 1) -> None:
        if n <= 0:
            return
        self._delivered.labels(topic).inc(n)
        self._recent.append((time.monotonic(), n))

    def failed(self, topic: str, n: int = 1) -> None:
        if n > 0:
            self._failed.labels(topic).inc(n)

    def dlq(self, reason: str, n: int = 1) -> None:
        if n > 0:
            self._dlq.labels(reason).inc(n)

    def tally(self, topic: str) -> Callable[[int, int], None]:
        """A function update(ok, failed) that adds the growth of one producer's running delivery counts."""
        seen = [0, 0]

        def update(ok: int, failed: int) -> None:
            self.delivered(topic, ok - seen[0])
            self.failed(topic, failed - seen[1])
            seen[:] = [ok, failed]

        return update

    def send_rate(self) -> float:
        """Delivered messages per second over the last WINDOW_S seconds."""
        now = time.monotonic()
        while self._recent and now - self._recent[0][0] > self.WINDOW_S:
            self._recent.popleft()
        return sum(n for _, n in self._recent) / self.WINDOW_S


def producer_metrics(serve: bool = True) -> ProducerMetrics:
    """The producer exporter on config.ports().producer_metrics; started on first use when `serve`."""
    m = exporter("producer", config.ports().producer_metrics, ProducerMetrics)
    if serve:
        m.serve()
    return m  # type: ignore[return-value]


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
