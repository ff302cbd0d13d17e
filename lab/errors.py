"""The lab's error hierarchy: one root, a few specific errors whose messages say what to do."""

from __future__ import annotations

import contextlib

MESSAGE_CHARS = 300  # the longest one-line message the lab shows for an exception (cut with "…")


class LabError(Exception):
    """Root of every error the lab raises on purpose."""


class ToolMissing(LabError):
    """A required program (java, mvn, kind, docker, kubectl …) is missing or the wrong version."""

    def __init__(self, tool: str, problem: str, fix: str):
        self.tool, self.problem, self.fix = tool, problem, fix
        super().__init__(f"{tool}: {problem}. {fix}")


class ArtifactError(LabError):
    """A JVM artifact could not be resolved into the cache."""


class PortInUse(LabError):
    """A port a service needs is taken by another process."""

    def __init__(self, service: str, port: int, holder: str | None):
        self.service, self.port, self.holder = service, port, holder
        who = f" by {holder}" if holder else ""
        super().__init__(
            f"{service}: port 127.0.0.1:{port} is already in use{who}. Stop that process, "
            f"or run `lab down`, or shift all lab ports with LAB_PORT_OFFSET=100."
        )


class ServiceStartError(LabError):
    """A service process failed to start (exited, or its command could not run)."""

    def __init__(self, service: str, reason: str, log_tail: str = ""):
        self.service, self.reason, self.log_tail = service, reason, log_tail
        msg = f"{service} failed to start: {reason}"
        if log_tail:
            msg += f"\n--- last lines of the {service} log ---\n{log_tail}"
        super().__init__(msg)


class ServiceNotReady(LabError):
    """A bounded readiness wait ran out."""

    def __init__(self, service: str, waited_s: float, last_status: str, log_tail: str = ""):
        self.service, self.waited_s, self.last_status, self.log_tail = service, waited_s, last_status, log_tail
        msg = f"{service} not ready after {waited_s:.0f}s: {last_status}"
        if log_tail:
            msg += f"\n--- last lines of the {service} log ---\n{log_tail}"
        super().__init__(msg)


class DataError(LabError):
    """TLC data could not be found, downloaded or read."""


class SchemaRejected(LabError):
    """The schema registry refused a schema (e.g. incompatible evolution)."""

    def __init__(self, subject: str, status: int, error_code: int | None, message: str):
        self.subject, self.status, self.error_code, self.message = subject, status, error_code, message
        super().__init__(f"registry rejected schema for {subject!r} (HTTP {status}, code {error_code}): {message}")


class ProduceError(LabError):
    """Producing to Kafka failed or the final accounting does not add up."""


class StreamError(LabError):
    """The Spark streaming job failed."""


class DataLost(StreamError):
    """Offsets a streaming query was to read from a topic are gone (topic deleted and recreated, or retention)."""

    def __init__(self, query: str, topic: str, spark_says: str):
        self.query, self.topic, self.spark_says = query, topic, spark_says
        super().__init__(
            f"streaming query {query} stopped: offsets it was to read from topic {topic} are gone (the topic was "
            f"deleted and recreated, or its records aged out by retention), so its checkpoint no longer fits the log. "
            f"To read {topic} again from its start, reset the query's checkpoint (lab.stream.reset(job), "
            f"`lab stream --reset`); to skip what is gone and go on, run with allow_data_loss=True "
            f"(`lab stream --allow-data-loss`), which counts the skipped offsets. Spark says: {spark_says}"
        )


class CheckFailed(LabError):
    """An exercise check or exactness check found a difference; the message says what."""


class ManifestError(LabError):
    """A Kubernetes manifest does not render or does not validate."""


class KindError(LabError):
    """The kind target is missing a prerequisite or a deployed object did not become ready."""


class BackupError(LabError):
    """A Cassandra backup or restore could not be made; the message says why and what to do."""


def one_line(text: object) -> str:
    """The first non-blank line of `text`, cut at MESSAGE_CHARS.

    >>> one_line("\\n  Boom: it broke\\n  at somewhere")
    'Boom: it broke'
    """
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    line = lines[0] if lines else ""
    return line if len(line) <= MESSAGE_CHARS else line[: MESSAGE_CHARS - 1] + "…"


def java_cause(java_exception) -> tuple[str, str]:
    """The innermost cause of a Java exception (through Py4J): its class's simple name and first message line."""
    root = java_exception
    with contextlib.suppress(Exception):  # a dead gateway: keep what we have
        for _ in range(20):
            cause = root.getCause()
            if cause is None or cause.equals(root):
                break
            root = cause
    try:
        return str(root.getClass().getSimpleName()), one_line(root.getMessage() or "")
    except Exception:  # noqa: BLE001 - the gateway is gone: the Python text is all there is
        return "JavaException", one_line(str(java_exception))
