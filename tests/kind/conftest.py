"""The kind tier: tests against a live kind cluster (`lab --target kind up`); not part of `make test`, run by
`make test-kind` (CI: .github/workflows/kind.yml).

Every test collected under this folder gets the marker `kind`, so `-m` selects the tier
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
            item.add_marker(pytest.mark.kind)
