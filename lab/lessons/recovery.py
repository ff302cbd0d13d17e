"""Crash and recovery of the streaming job (the lessons): kill -9 a driver in its own process (lab.pipeline.driver),
restart from the checkpoint.

Also computes what goes wrong without the checkpoint: a restart at the end of the topic leaves gaps.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass, field, replace

from lab.pipeline import stream, tables, truth
from lab.pipeline.driver import committed_batches, driver, finish, kill_after
from lab.pipeline.stream import Job
from lab.wait import until


@dataclass
class CrashReport:
    """One crash-and-restart run."""

    committed_at_kill: int
    elapsed_s: float
    report: object  # lab.truth.Report of the final tables
    notes: list[str] = field(default_factory=list)


def crash_and_recover(
    job: Job, expected: dict, kill_after_batches: int = 3, with_checkpoint: bool = True, timeout: float = 600.0
) -> CrashReport:
    """Stream `job` in a driver process, kill -9 it mid-stream, restart, and compare the tables with the truth.

    with_checkpoint=False deletes the checkpoint before the restart and restarts at the END of the
    topic (`startingOffsets=latest`, what a job without checkpoint does in production): the trips in
    flight when the driver died are never counted, so the check shows the gaps.
    """
    t0 = time.monotonic()
    tables.truncate(tables.WINDOW_TABLES)
    stream.reset(job)
    proc = driver(job)
    try:
        done = kill_after(proc, job, kill_after_batches, timeout)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    notes = [f"killed the driver (SIGKILL) after {done} committed micro-batches"]
    restart = job
    if not with_checkpoint:
        stream.reset(job)
        restart = replace(job, starting_offsets="latest")
        notes.append("deleted the checkpoint; restarted at the end of the topic (startingOffsets=latest)")
    finish(restart, timeout)
    report = truth.check(expected)
    return CrashReport(done, time.monotonic() - t0, report, notes)


def stop_and_restart(
    job: Job,
    expected: dict,
    stop_after_batches: int = 2,
    with_checkpoint: bool = True,
    spark=None,
    timeout: float = 600.0,
) -> CrashReport:
    """The same experiment inside this Python process (fast, for notebooks): stop the query mid-stream, restart.

    `StreamingQuery.stop()` interrupts the running micro-batch, which then never commits: for the
    checkpoint that is the same situation as a crash.
    """
    t0 = time.monotonic()
    tables.truncate(tables.WINDOW_TABLES)
    stream.reset(job)
    running = stream.start(job, spark)
    try:
        until(
            lambda: committed_batches(job) >= stop_after_batches or running.check(),
            service=f"{job.name} batches",
            timeout=timeout,
            interval=0.2,
        )
    finally:
        running.stop()
    done = committed_batches(job)
    notes = [f"stopped the query after {done} committed micro-batches"]
    restart = replace(job, trigger="availableNow", max_offsets_per_trigger=stream.MAX_BATCH)
    if not with_checkpoint:
        stream.reset(job)
        restart = replace(restart, starting_offsets="latest")
        notes.append("deleted the checkpoint; restarted at the end of the topic (startingOffsets=latest)")
    stream.start(restart, spark).await_done(timeout)
    return CrashReport(done, time.monotonic() - t0, truth.check(expected), notes)
