"""A lab service as a class: its name, ports, launch and probe; start/ready/wait_ready/stop and `with` written once.

A service module defines one subclass (the command line in `launch`, the readiness check in `probe`, timeouts as
class attributes) and exposes its instance's methods as the module's functions (`lab.kafka.start()`), so every
service has the same lifecycle words on both targets. The selected target (lab.services.target) carries out what
differs: a local process, or a deployment in the kind cluster.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lab import config
from lab.services import target
from lab.services.process import LocalProcess


class Service:
    """One service of the lab; subclasses set `name`, the timeouts, and write `ports`, `launch` and `probe`."""

    name: str = ""
    start_timeout: float = 90.0  # start() and wait_ready() wait this long by default
    poll_interval: float = 0.5  # between two readiness probes
    stop_timeout: float = 60.0  # SIGTERM, then SIGKILL after this long (local); scale-down wait (kind)
    local_only: str | None = None  # set for a local-only service: what to use on kind instead (start() says it)

    def __init__(self) -> None:
        self._procs: dict[tuple, LocalProcess] = {}

    def __repr__(self) -> str:
        return f"<service {self.name}>"

    # -- what a subclass writes ---------------------------------------------------------------------------------------
    def ports(self) -> tuple[int, ...]:
        """The local ports the service listens on (config.ports(), after the offset); the first is its main one."""
        raise NotImplementedError

    def launch(self, proc: LocalProcess) -> tuple[Sequence[str], Path | None]:
        """Write its config and return the command line and working directory of the local process."""
        raise NotImplementedError

    def probe(self) -> object:
        """One readiness check: truthy when ready, raises with the reason when not."""
        raise NotImplementedError

    def before_stop(self) -> None:
        """Drop what clients of this process cached (sessions, admin clients) before it goes."""

    def refresh(self) -> None:
        """Called by start() when our local process already runs and is ready (e.g. re-read changed files)."""

    # -- the lifecycle, the same for every service -------------------------------------------------------------------
    def process(self) -> LocalProcess:
        """The local process handle (one per LAB_HOME and port offset)."""
        key = (str(config.lab_home()), self.ports())
        if key not in self._procs:
            self._procs[key] = LocalProcess(self.name, self.ports())
        return self._procs[key]

    def start(self, timeout: float | None = None) -> int | None:
        """Start it (a no-op when ours runs) and wait until it is ready; returns the local pid (None on kind).

        Raises PortInUse, ToolMissing, ServiceStartError (with the log tail) or ServiceNotReady naming the service.
        """
        if self.local_only:
            target.current().require_local(self.local_only)
        return target.current().start(self, self.start_timeout if timeout is None else timeout)

    def ready(self) -> bool:
        """One quick probe: True when it passes, False on any failure."""
        try:
            return bool(self.probe())
        except Exception:  # noqa: BLE001 - any failure means "not ready (yet)"
            return False

    def wait_ready(self, timeout: float | None = None) -> None:
        """Poll the probe with a bound: ServiceStartError if the process dies, ServiceNotReady on timeout."""
        target.current().wait_ready(self, self.start_timeout if timeout is None else timeout)

    def stop(self, timeout: float | None = None) -> bool:
        """Stop it within `timeout`; True when something was stopped."""
        self.before_stop()
        return target.current().stop(self, self.stop_timeout if timeout is None else timeout)

    def __enter__(self) -> Service:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
