"""The unit tier: tests that need no service (no stack, no control plane) and no network beyond fakes on loopback;
fakes are allowed here only. About 2 minutes in all.

Every test collected under this folder gets the marker `unit`, so `-m` selects the tier
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
            item.add_marker(pytest.mark.unit)
