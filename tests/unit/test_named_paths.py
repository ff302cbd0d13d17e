"""Messages and docstrings that send a reader to a file of the repository name one that exists."""

from __future__ import annotations

import re

from lab import config

REPO = config.REPO_ROOT
NAMED = re.compile(r"(?<![\w/.])((?:k8s|grafana|notebooks|bench|data)/[\w./-]*\w)")


def named_paths() -> dict[str, list[str]]:
    """Repository path → the lab/ files (with line) that name it."""
    found: dict[str, list[str]] = {}
    for path in sorted((REPO / "lab").rglob("*.py")):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            for m in NAMED.finditer(line):
                found.setdefault(m.group(1), []).append(f"{path.relative_to(REPO)}:{n}")
    return found


def test_every_repository_path_the_code_names_exists():
    named = named_paths()
    assert "k8s/components/archive" in named  # the scan finds what it looks for
    placeholders = ("NN_", "grafana/helm-charts")  # a week's number to fill in; the chart's GitHub repository
    missing = {p: w for p, w in named.items() if not (REPO / p).exists() and not p.endswith(placeholders)}
    assert not missing, f"paths named in lab/ that do not exist: {missing}"
