"""The notebooks tier: the notebooks run headless in smoke mode (papermill) and learners' answers run through the
real exercise checks (answers/), all on the real local stack.

Every test collected under this folder gets the marker `notebook`, so `-m` selects the tier
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
            item.add_marker(pytest.mark.notebook)
