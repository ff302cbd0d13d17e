"""The instructor notebooks branch on the target only where a feature runs on one target alone (issue 25): at most
MAX_BRANCHING cells, each saying so in a comment. Everything else goes through calls that work on both targets
(lab.stack.up/down/status/logs/endpoints, lab.kraft.quorum, lab.monitoring, lab.alerts.fast, …)."""

from __future__ import annotations

import json
import re

from lab.lessons import notebooks

MAX_BRANCHING = 10
BRANCH = re.compile(r"\btarget\s*[!=]=|\btarget\(\)|\.local\b")  # `target == "local"`, lab.config.target(), t.local
SAYS_WHY = re.compile(r"#\s*(local|kind) only:")


def branching_cells() -> dict[str, str]:
    """`notebook:cell id` → source of every instructor code cell that branches on the target."""
    found = {}
    for path in notebooks.week_notebooks("instructor"):
        for cell in json.loads(path.read_text())["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] == "code" and BRANCH.search(source):
                found[f"{path.name}:{cell['id']}"] = source
    return found


def test_the_pattern_sees_each_way_of_branching():
    for source in ('if target == "local":', "if target != 'kind':", "if lab.config.target() == 'kind':", "t.local"):
        assert BRANCH.search(source), source
    assert not BRANCH.search('lab.use(target)\ntarget: str = "local"')


def test_few_cells_branch_on_the_target_and_each_says_why():
    cells = branching_cells()
    assert len(cells) <= MAX_BRANCHING, (
        f"{len(cells)} cells branch on the target (at most {MAX_BRANCHING}): {sorted(cells)}"
    )
    silent = [name for name, source in cells.items() if not SAYS_WHY.search(source)]
    assert not silent, (
        f"these cells branch on the target without a `# local only: …` / `# kind only: …` comment: {silent}"
    )
