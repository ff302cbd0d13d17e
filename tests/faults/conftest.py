"""The faults tier: the fault-injection suite (kill -9 or a restart of a real service under the producer or a
running stream, then proof from the data). Each test is also marked `stack` or `spark` (what it runs on).

Every test collected under this folder gets the marker `faults`, so `-m` selects the tier
(see tests/README.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)  # before tests/conftest.py marks by fixture
def pytest_collection_modifyitems(items):
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.faults)
