"""The lifecycle every service module shares: start once, bounded readiness on one probe, stop, on the selected
target (lab.services.target carries what differs between the local processes and the kind cluster)."""

from __future__ import annotations

from lab.services import target
from lab.services.process import LocalProcess
from lab.services.target import Launch, Probe

__all__ = ["Launch", "Probe", "ready", "start", "stop", "wait_ready"]


def start(name: str, proc: LocalProcess, launch: Launch, probe: Probe, timeout: float, interval: float) -> int | None:
    """kind: deploy the service and wait for it, within `timeout`; returns None (no local pid). Local: a no-op
    (bar the readiness wait) when ours runs; else check the ports, spawn `launch(proc)` and wait for `probe`;
    returns the pid."""
    return target.current().start(name, proc, launch, probe, timeout, interval)


def wait_ready(name: str, proc: LocalProcess, probe: Probe, timeout: float, interval: float) -> None:
    """Poll `probe` with a bound: ServiceStartError (with the log tail) if the process dies, ServiceNotReady on timeout.
    kind: every object of the service ready (lab.kube.wait_ready), within `timeout`."""
    target.current().wait_ready(name, proc, probe, timeout, interval)


def ready(probe: Probe) -> bool:
    """One quick probe: True when it passes, False on any failure."""
    try:
        return bool(probe())
    except Exception:  # noqa: BLE001 - any failure means "not ready (yet)"
        return False


def stop(name: str, proc: LocalProcess, timeout: float) -> bool:
    """Stop the service within `timeout`; True when something was stopped. Local: our process (SIGTERM, then
    SIGKILL). kind: its Deployment or StatefulSet scaled to 0 (lab.kube.stop; Kafka only goes with the cluster)."""
    return target.current().stop(name, proc, timeout)
