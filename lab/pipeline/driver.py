"""The streaming job's driver in a process of its own (`python -m lab.cli stream`): start it, watch its checkpoint's
commits, kill its whole process group, run it to the end of the topic."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from lab import config
from lab.errors import StreamError
from lab.pipeline.stream import MAX_BATCH, Job
from lab.wait import until


def committed_batches(job: Job) -> int:
    """How many micro-batches of the windows query are committed in its checkpoint."""
    commits = job.checkpoint(job.name) / "commits"
    return sum(1 for p in commits.glob("*") if p.name.isdigit()) if commits.is_dir() else 0


def driver(job: Job, log: Path | None = None, extra: tuple[str, ...] = ()) -> subprocess.Popen:
    """Start `python -m lab.cli stream` for `job` as its own process group (driver JVM included), without a UI."""
    args = [
        sys.executable,
        "-m",
        "lab.cli",
        "stream",
        "--topic",
        job.topic,
        "--window",
        job.window,
        "--watermark",
        job.watermark,
        "--trigger",
        job.trigger,
        "--starting-offsets",
        job.starting_offsets,
        "--name",
        job.name,
        "--no-ui",
        *extra,
    ]
    if job.max_offsets_per_trigger:
        args += ["--max-offsets-per-trigger", str(job.max_offsets_per_trigger)]
    if job.checkpoint_root:
        args += ["--checkpoint-root", str(job.checkpoint_root)]
    log = log or config.lab_home() / "run" / f"{job.name}.driver.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        return subprocess.Popen(
            args,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )


def kill_after(proc: subprocess.Popen, job: Job, batches: int, timeout: float = 300.0) -> int:
    """SIGKILL the driver's whole process group once `batches` micro-batches are committed; returns that count."""
    until(
        lambda: committed_batches(job) >= batches,
        service=f"{job.name} batches",
        timeout=timeout,
        interval=0.2,
        alive=lambda: None if proc.poll() is None else f"driver exited ({proc.returncode})",
    )
    done = committed_batches(job)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(30)
    return done


def finish(job: Job, timeout: float = 600.0, log: Path | None = None) -> None:
    """Run the job to the end of the topic in a fresh driver process (trigger availableNow) and wait."""
    proc = driver(replace(job, trigger="availableNow", max_offsets_per_trigger=MAX_BATCH), log)
    try:
        code = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise StreamError(f"the restarted driver for {job.name} did not finish within {timeout:.0f}s") from None
    if code != 0:
        raise StreamError(f"the restarted driver for {job.name} exited with {code}; see {log or 'its log'}")
