"""The k8s tier: tests against the real Kubernetes control plane on loopback (tests/conftest.py's `control_plane`
fixture, lab.services.controlplane), and the control plane's own error messages.

Every test collected under this folder gets (from tests/conftest.py) the marker `k8s`, so `-m` selects the tier
(see tests/README.md).
"""

from __future__ import annotations
