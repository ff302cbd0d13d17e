"""The unit tier: tests that need no service (no stack, no control plane) and no network beyond fakes on loopback;
fakes are allowed here only. About 2 minutes in all.

Every test collected under this folder gets (from tests/conftest.py) the marker `unit`, so `-m` selects the tier
(see tests/README.md).
"""

from __future__ import annotations
