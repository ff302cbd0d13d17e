"""Local service processes: pid files, logs, port checks and clean stops, shared by every local service."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

import psutil

from lab import config
from lab.errors import PortInUse, ServiceStartError
from lab.wait import port_open

# glibc gives each thread that allocates natively an arena of its own (up to 8 per core), and a JVM has ~100 threads:
# two arenas are plenty for a lab's services and Spark driver, and each process keeps less memory resident
NATIVE_ENV = {"MALLOC_ARENA_MAX": "2"}
MEMLOCK_BYTES = 64 * 1024  # the usual default RLIMIT_MEMLOCK of a user without privileges


def without_memory_lock(argv: Sequence[str]) -> list[str]:
    """`argv` run so that it cannot lock its memory in RAM (mlockall), as for any user without privileges.

    Cassandra calls mlockall(MCL_CURRENT) at start. A user without privileges has a small RLIMIT_MEMLOCK and the call
    fails ("Unable to lock JVM memory (ENOMEM)" in its log); run as root (CI, a container), it succeeds and keeps every
    page mapped at that moment resident for good: the JDK's whole 128 MB module image among them, measured. On Linux
    the command gets a 64 KiB memlock limit (prlimit) and, as root, loses CAP_IPC_LOCK (setpriv), which would bypass
    the limit; both are util-linux tools and exec the command, so the pid stays the service's. Elsewhere, or without
    them, `argv` is unchanged.
    """
    wrap: list[str] = []
    if os.uname().sysname == "Linux" and shutil.which("prlimit"):
        wrap = ["prlimit", f"--memlock={MEMLOCK_BYTES}:{MEMLOCK_BYTES}", "--"]
        if os.geteuid() == 0 and shutil.which("setpriv"):
            wrap += ["setpriv", "--inh-caps=-ipc_lock", "--bounding-set=-ipc_lock", "--"]
    return wrap + list(argv)


def port_holder(port: int) -> str | None:
    """Describe the process listening on `port` (any local address): "pid 123 (java)", if it can be found.

    psutil reads the socket table on Linux and macOS; where it may not (macOS without privileges), "another
    process" still says the port is taken.
    """
    try:
        conns = psutil.net_connections(kind="tcp")
    except (psutil.AccessDenied, PermissionError):
        return "another process" if port_listening(port) else None
    pids = {c.pid for c in conns if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port}
    if not pids:
        return None
    for pid in sorted(p for p in pids if p):
        try:
            return f"pid {pid} ({psutil.Process(pid).name()})"
        except psutil.Error:
            continue
    return "another process"


def file_tail(path: Path, lines: int = 30) -> str:
    """The last `lines` lines of a log file ("(no log yet)" when there is none)."""
    try:
        data = path.read_bytes()[-64 * 1024 :]
    except OSError:
        return "(no log yet)"
    return "\n".join(data.decode("utf-8", "replace").splitlines()[-lines:])


def require_free(service: str, port: int) -> None:
    """Raise PortInUse, naming the holder, when something already listens on `port`."""
    if port_listening(port):
        raise PortInUse(service, port, port_holder(port))


def port_listening(port: int) -> bool:
    """True when something listens on `port` (any local address)."""
    return port_open("127.0.0.1", port, timeout=0.3)


@dataclass
class LocalProcess:
    """One background JVM/binary owned by the lab: started detached, tracked by a pid file."""

    name: str
    ports: Sequence[int] = field(default_factory=tuple)

    @property
    def home(self) -> Path:
        return config.lab_home() / "run" / self.name

    @property
    def pid_file(self) -> Path:
        return self.home / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return self.home / f"{self.name}.log"

    def pid(self) -> int | None:
        """The pid of our running process, or None (a stale pid file is removed)."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        if not _alive(pid):
            self.pid_file.unlink(missing_ok=True)
            return None
        return pid

    def running(self) -> bool:
        return self.pid() is not None

    def render(self, template: Path, name: str, copies: Sequence[Path] = (), **values) -> Path:
        """Write `template` (string.Template) with `values` into the run folder as `name`, and the `copies` beside it
        unchanged (log configs); returns the path of the rendered file."""
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / name).write_text(Template(template.read_text()).substitute(values))
        for path in copies:
            (self.home / path.name).write_text(path.read_text())
        return self.home / name

    def check_ports(self) -> None:
        """Raise PortInUse when one of our ports is taken by someone else."""
        for port in self.ports:
            require_free(self.name, port)

    def spawn(self, argv: Sequence[str], env: dict | None = None, cwd: Path | None = None) -> int:
        """Start `argv` detached, logging to our log file; return the pid."""
        self.home.mkdir(parents=True, exist_ok=True)
        self.check_ports()
        log = open(self.log_file, "ab")
        log.write(f"\n=== lab: starting {self.name} at {time.strftime('%Y-%m-%d %H:%M:%S')} ===\n".encode())
        log.flush()
        try:
            proc = subprocess.Popen(
                list(argv),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=cwd or self.home,
                env={**os.environ, **NATIVE_ENV, **(env or {})},
                start_new_session=True,
            )
        except OSError as exc:
            raise ServiceStartError(self.name, f"cannot run {argv[0]}: {exc}") from exc
        finally:
            log.close()
        self.pid_file.write_text(str(proc.pid))
        self._popen = proc  # keep a handle so the child is reaped when we own it
        return proc.pid

    def exit_reason(self) -> str | None:
        """Why the process is gone (for readiness waits), or None while it runs."""
        proc = getattr(self, "_popen", None)
        if proc is not None and proc.poll() is not None:
            return f"process exited with code {proc.returncode}"
        if proc is None and not self.running():
            return "process is not running"
        return None

    def tail(self, lines: int = 30) -> str:
        """The last lines of the log."""
        return file_tail(self.log_file, lines)

    def stop(self, timeout: float = 30.0) -> bool:
        """SIGTERM the process group, SIGKILL after `timeout`; True when something was stopped."""
        pid = self.pid()
        if pid is None:
            return False
        for sig, wait_s in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10.0)):
            try:
                os.killpg(pid, sig)
            except ProcessLookupError:
                break
            except PermissionError:
                os.kill(pid, sig)
            deadline = time.monotonic() + wait_s
            while time.monotonic() < deadline:
                proc = getattr(self, "_popen", None)
                if proc is not None:
                    proc.poll()
                if not _alive(pid):
                    break
                time.sleep(0.1)
            if not _alive(pid):
                break
        self.pid_file.unlink(missing_ok=True)
        # The leader thread shows as a zombie while the other threads still close their sockets:
        # wait (bounded) until our ports are free, so an immediate restart does not see them taken.
        deadline = time.monotonic() + 10.0
        while any(port_listening(p) for p in self.ports) and time.monotonic() < deadline:
            time.sleep(0.1)
        return True


def _alive(pid: int) -> bool:
    """True while `pid` runs (a zombie, dead but not yet reaped, counts as gone)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:  # someone else's live process
        return True


def rss_bytes(pid: int) -> int:
    """Resident set size of a process and all its descendants, in bytes (0 when it is gone)."""
    try:
        root = psutil.Process(pid)
        tree = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    kids: dict[int, list[int]] = {}
    for proc in tree[1:]:
        try:
            kids.setdefault(proc.ppid(), []).append(proc.pid)
        except psutil.Error:
            continue

    def sizes(p: int) -> tuple[int, int]:  # (virtual size, RSS) in kB; (0, 0) when gone
        try:
            mem = psutil.Process(p).memory_info()
            return mem.vms // 1024, mem.rss // 1024
        except psutil.Error:
            return 0, 0

    return tree_rss_kb(pid, kids, sizes) * 1024


def tree_rss_kb(pid: int, kids: dict[int, list[int]], sizes) -> int:
    """Sum of VmRSS over a process tree (`kids`: pid → child pids; `sizes`: pid → (VmSize, VmRSS) in kB).

    A child caught between fork and exec (seen: the Spark JVM starting a helper process) still shares its
    parent's memory and reports the parent's very sizes: it is counted once, with the parent.
    """
    total, todo = 0, [(pid, None)]
    while todo:
        p, parent = todo.pop()
        mine = sizes(p)
        todo += [(k, mine) for k in kids.get(p, [])]
        if mine != parent:
            total += mine[1]
    return total
