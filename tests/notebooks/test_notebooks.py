"""Both releases run headless against the real local stack (smoke mode).

The instructor source (notebooks/instructor) must pass every check strictly. The student release of every week must
run top to bottom and report every exercise as "not solved yet": no check passes on an empty answer (weeks 04–07 and
09 through their run with one wrong answer injected, tests/notebooks/test_answers.py, which also asserts that).
"""

from __future__ import annotations

import json

import pytest

from lab.lessons import notebooks, release
from lab.lessons.exercises import NOT_SOLVED

INSTRUCTOR = notebooks.week_notebooks("instructor")
# The weeks whose student copy runs once, with one wrong answer injected (tests/notebooks/test_answers.py): that run
# asserts what this file's student run does (top to bottom, one line per exercise, ⏳ for every stub) and one ❌ for
# the injected answer, so the plain student run of these weeks would repeat it (each is a whole notebook run).
STUDENT_RUN_WITH_A_WRONG_ANSWER = ("04", "05", "06", "07", "09")
STUDENT = [  # every week, but those run with a wrong answer injected
    p for p in notebooks.week_notebooks("student") if p.name[:2] not in STUDENT_RUN_WITH_A_WRONG_ANSWER
]


def uses_practice_cluster(path) -> bool:
    """A week whose notebook works on the practice cluster (the lab's Kubernetes control plane on target local): its
    runs get the session's control plane (tests/conftest.py), started once, instead of starting and stopping one each."""
    return "practice_cluster(" in path.read_text()


def notebook_params(paths, prefix: str = "") -> list:
    """One pytest param per notebook; those using the practice cluster carry the `k8s` marker too (they need it)."""
    return [
        pytest.param(p, id=f"{prefix}{p.stem}", marks=[pytest.mark.k8s] if uses_practice_cluster(p) else [])
        for p in paths
    ]


def _parameters(path) -> dict:
    """Smoke mode on the local target, checks strict (`strict`, or `solutions` in the weeks not yet converted)."""
    declared = notebooks.parameters_of(path)
    return {"target": "local", "smoke": True, **{name: True for name in ("strict", "solutions") if name in declared}}


def _printed(cell: dict) -> list[str]:
    lines = []
    for out in cell.get("outputs", []):
        text = out.get("text") or out.get("data", {}).get("text/plain", "")
        lines += ("".join(text) if isinstance(text, list) else text).splitlines()
    return lines


def _exercise_outputs(executed) -> list[list[str]]:
    """The printed lines of each exercise cell (a cell with a solution, or with its stub in the student copy)."""
    cells = json.loads(executed.read_text())["cells"]
    return [
        _printed(c)
        for c in cells
        if c["cell_type"] == "code"
        and (release.regions("".join(c["source"])) or release.CODE_STUB[0] in "".join(c["source"]))
    ]


pytestmark = pytest.mark.usefixtures("kernel_ports_free")


@pytest.mark.notebook
@pytest.mark.parametrize("path", notebook_params(INSTRUCTOR))
def test_instructor_notebook_runs(path, stack, request):
    """Fails when a cell raises or a check fails on the solutions; the executed copy is the failure report."""
    if uses_practice_cluster(path):
        request.getfixturevalue("control_plane")
    result = notebooks.run(path, _parameters(path), out_dir=notebooks.EXECUTED_DIR / "instructor")
    assert result.ok, f"{path.name} failed: {result.error} (see {result.output})"
    cells = _exercise_outputs(result.output)
    unsolved = [lines for lines in cells if not any(line.startswith("✅") for line in lines)]
    assert not unsolved, f"{path.name}: {len(unsolved)} of {len(cells)} exercises without ✅: {unsolved[:2]}"


@pytest.mark.notebook
@pytest.mark.parametrize("path", notebook_params(STUDENT, prefix="student-"))
def test_student_notebook_runs_unsolved(path, stack, request):
    """Fails when the student copy crashes, or when an exercise does not say "not solved yet" (or passes unsolved)."""
    if uses_practice_cluster(path):
        request.getfixturevalue("control_plane")
    result = notebooks.run(path, _parameters(path), out_dir=notebooks.EXECUTED_DIR / "student")
    assert result.ok, f"{path.name} failed: {result.error} (see {result.output})"
    exercises = release.exercise_count(json.loads((notebooks.INSTRUCTOR_DIR / path.name).read_text()))
    cells = _exercise_outputs(result.output)
    assert len(cells) == exercises, f"{path.name}: {len(cells)} stub cells for {exercises} exercises between markers"
    graded = [[line for line in lines if line.startswith(("✅", "❌", NOT_SOLVED))] for lines in cells]
    wrong = [g for g in graded if len(g) != 1 or not g[0].startswith(NOT_SOLVED)]
    assert not wrong, (
        f"{path.name}: every exercise must say '{NOT_SOLVED}' once and nothing else; got {wrong} (see {result.output})"
    )
