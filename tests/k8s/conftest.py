"""The k8s tier: tests against the real Kubernetes control plane on loopback (tests/conftest.py's `control_plane`
fixture, lab.services.controlplane), and the control plane's own error messages.

Every test collected under this folder gets the marker `k8s`, so `-m` selects the tier
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
            item.add_marker(pytest.mark.k8s)
