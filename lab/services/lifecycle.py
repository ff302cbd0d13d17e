"""The lifecycle every service module shares: kind dispatch, start once, bounded readiness on one probe, stop."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from lab import config
from lab.deploy import kube
from lab.services.process import LocalProcess
from lab.wait import until

Probe = Callable[[], object]  # returns truthy when ready; raises (with the reason) when not
Launch = Callable[[LocalProcess], tuple[Sequence[str], Path | None]]  # → argv, working directory


def start(name: str, proc: LocalProcess, launch: Launch, probe: Probe, timeout: float, interval: float) -> int | None:
    """kind: deploy the service and wait for it, within `timeout`; returns None (no local pid). Local: a no-op
    (bar the readiness wait) when ours runs; else check the ports, spawn `launch(proc)` and wait for `probe`;
    returns the pid."""
    if config.target() == "kind":
        kube.up([name], timeout=timeout)
        return None
    if proc.running():
        wait_ready(name, proc, probe, timeout, interval)
        return proc.pid()
    proc.check_ports()
    argv, cwd = launch(proc)
    pid = proc.spawn(argv, cwd=cwd)
    wait_ready(name, proc, probe, timeout, interval)
    return pid


def wait_ready(name: str, proc: LocalProcess, probe: Probe, timeout: float, interval: float) -> None:
    """Poll `probe` with a bound: ServiceStartError (with the log tail) if the process dies, ServiceNotReady on timeout."""
    if config.target() == "kind":
        return kube.wait_ready(name, timeout)
    until(probe, service=name, timeout=timeout, interval=interval, log_tail=proc.tail, alive=proc.exit_reason)


def ready(probe: Probe) -> bool:
    """One quick probe: True when it passes, False on any failure."""
    try:
        return bool(probe())
    except Exception:  # noqa: BLE001 - any failure means "not ready (yet)"
        return False


def stop(name: str, proc: LocalProcess, timeout: float) -> bool:
    """Stop the service within `timeout`; True when something was stopped. Local: our process (SIGTERM, then
    SIGKILL). kind: its Deployment or StatefulSet scaled to 0 (lab.kube.stop; Kafka only goes with the cluster)."""
    if config.target() == "kind":
        return kube.stop(name, timeout=timeout)
    return proc.stop(timeout=timeout)
