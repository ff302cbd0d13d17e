"""Bounded readiness waits: poll a condition with a timeout, never sleep blindly."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from lab.errors import ServiceNotReady, ServiceStartError

T = TypeVar("T")


def until(
    probe: Callable[[], T],
    *,
    service: str,
    timeout: float = 60.0,
    interval: float = 0.25,
    log_tail: Callable[[], str] | None = None,
    alive: Callable[[], str | None] | None = None,
) -> T:
    """Call `probe` until it returns a truthy value; raise ServiceNotReady after `timeout` seconds.

    `probe` may raise; the last exception text becomes the reported status. `alive` may return a
    reason string when the thing being waited on has died, which stops the wait at once.

    >>> until(lambda: 42, service="answer")
    42
    """
    start = time.monotonic()
    last = "no answer yet"
    while True:
        try:
            value = probe()
            if value:
                return value
            last = f"probe returned {value!r}"
        except Exception as exc:  # noqa: BLE001 - the text is the status we report
            last = f"{type(exc).__name__}: {exc}"
        if alive is not None:
            dead = alive()
            if dead:
                raise ServiceStartError(service, dead, log_tail() if log_tail else "")
        waited = time.monotonic() - start
        if waited >= timeout:
            raise ServiceNotReady(service, waited, last, log_tail() if log_tail else "")
        time.sleep(min(interval, max(0.0, timeout - waited)))


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """True when a TCP connection to host:port succeeds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def http_ok(url: str, timeout: float = 2.0) -> bool:
    """True when GET url answers 2xx."""
    import requests

    return requests.get(url, timeout=timeout).ok


def within(fn: Callable[[], object], timeout: float, name: str = "call") -> bool:
    """Run `fn()` on a daemon thread and wait at most `timeout` s; True when it returned (or raised) in time.

    For calls that have no bound of their own (a JVM stop, a py4j round trip): the caller decides what to do when
    it did not return. An exception `fn` raised is re-raised here.
    """
    box: dict[str, BaseException] = {}

    def run() -> None:
        try:
            fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            box["error"] = exc

    worker = threading.Thread(target=run, name=f"lab-within-{name}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        return False
    if "error" in box:
        raise box["error"]
    return True
