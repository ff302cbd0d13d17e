"""The stack tier: tests against the real local stack (Kafka, registry, Cassandra, Prometheus), started once per
session by tests/conftest.py's `stack` fixture, and the tests that run a Spark job (marked `spark`).

Every test collected under this folder gets the marker `stack` (a test marked `spark` keeps that marker instead), so
`-m` selects the tier (see tests/README.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)  # before tests/conftest.py marks by fixture
def pytest_collection_modifyitems(items):
    for item in items:
        if HERE in item.path.parents and not item.get_closest_marker("spark"):
            item.add_marker(pytest.mark.stack)
