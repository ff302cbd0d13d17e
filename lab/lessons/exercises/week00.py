"""Week 0 exercise checks: the environment and the running stack."""

from __future__ import annotations

from lab import config
from lab.lessons.exercises import expect
from lab.services import cassandra, stack


def check_cql_port(answer) -> str:
    """The learner names the CQL port of the Cassandra they are connected to."""
    expect(answer is not None, "cql_port() returned None: return the port number (hint: a getter of lab.cassandra)")
    expect(
        isinstance(answer, int) and answer == cassandra.cql_port(),
        f"{answer!r} is not the CQL port this lab uses (an int, from a lab.cassandra getter)",
    )
    return f"Cassandra speaks CQL on port {answer}"


def check_biggest_service(answer) -> str:
    """The learner names the service with the largest resident memory right now."""
    rows = [r for r in stack.status() if r.get("running")]
    expect(rows, "no service is running: run the 'Start the stack' cell first")
    biggest = max(rows, key=lambda r: r.get("rss") or 0)["name"]
    expect(answer is not None, "heaviest_service returned None: return a service name, e.g. 'kafka'")
    expect(answer == biggest, f"{answer!r} is not the largest: look at the rss column again")
    return f"{biggest} uses the most memory ({(max(r.get('rss') or 0 for r in rows)) / 2**20:.0f} MiB)"


def check_java_major(answer) -> str:
    """The learner reads the Java major version the services need from lab.config."""
    expect(answer == config.JAVA_MAJOR, f"{answer!r}: look at lab.config.JAVA_MAJOR and the tools table")
    return f"Java {answer}: Kafka 4 needs ≥ 17, Cassandra 5.0 supports 11 and 17"
