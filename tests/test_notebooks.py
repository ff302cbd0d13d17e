"""Every week notebook runs headless against the real local stack (smoke mode, solutions on)."""
from __future__ import annotations

import pytest

from lab.lessons import notebooks

WEEKS = notebooks.week_notebooks()


@pytest.mark.notebook
@pytest.mark.parametrize("path", WEEKS, ids=[p.stem for p in WEEKS])
def test_notebook_runs(path, stack):
    """Fails when a notebook raises in any cell; the executed copy in build/executed/ is the failure report."""
    result = notebooks.run(path, {"target": "local", "smoke": True, "solutions": True})
    assert result.ok, f"{path.name} failed: {result.error} (see {result.output})"
