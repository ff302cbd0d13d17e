"""The faults tier: the fault-injection suite (kill -9 or a restart of a real service under the producer or a
running stream, then proof from the data). Each test is also marked `stack` or `spark` (what it runs on).

Every test collected under this folder gets (from tests/conftest.py) the marker `faults`, so `-m` selects the tier
(see tests/README.md).
"""

from __future__ import annotations
