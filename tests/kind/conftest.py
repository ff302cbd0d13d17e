"""The kind tier: tests against a live kind cluster (`lab --target kind up`); not part of `make test`, run by
`make test-kind` (CI: .github/workflows/kind.yml).

Every test collected under this folder gets (from tests/conftest.py) the marker `kind`, so `-m` selects the tier
(see tests/README.md).
"""

from __future__ import annotations
