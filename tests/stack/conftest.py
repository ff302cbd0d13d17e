"""The stack tier: tests against the real local stack (Kafka, registry, Cassandra, Prometheus), started once per
session by tests/conftest.py's `stack` fixture, and the tests that run a Spark job (marked `spark`).

Every test collected under this folder gets (from tests/conftest.py) the marker `stack` (a test marked `spark` keeps that marker instead), so
`-m` selects the tier (see tests/README.md).
"""

from __future__ import annotations
