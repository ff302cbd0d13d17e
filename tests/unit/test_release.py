"""The student release: generated from the instructor sources, stubs instead of solutions, never stale (no stack)."""

from __future__ import annotations

import json

import pytest

from lab.lessons import notebooks, release

SOLVED = '''def double(x):
    """Twice x."""
    ### BEGIN SOLUTION
    y = x * 2
    return y
    ### END SOLUTION
'''


def _nb(*cells: tuple[str, str]) -> dict:
    return {
        "cells": [
            {
                "cell_type": t,
                "metadata": {},
                "source": s.splitlines(keepends=True),
                **({"outputs": [{"output_type": "stream", "text": "x"}], "execution_count": 3} if t == "code" else {}),
            }
            for t, s in cells
        ],
        "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def test_stub_keeps_indentation_and_signature():
    """Fails when a solution survives or the stub is not indented like the region (the cell would not parse)."""
    out = release.student_source(SOLVED, "code")
    assert "x * 2" not in out and "BEGIN SOLUTION" not in out
    assert out == (
        'def double(x):\n    """Twice x."""\n    # YOUR CODE HERE\n    raise NotImplementedError("not solved yet")\n'
    )
    namespace: dict = {}
    exec(out, namespace)  # defining the stub must not raise: only calling it does
    with pytest.raises(NotImplementedError):
        namespace["double"](2)


def test_markdown_answer_becomes_a_prompt():
    """Fails when a markdown answer between the markers reaches the student copy."""
    out = release.student_source("Why?\n### BEGIN SOLUTION\nBecause of keys.\n### END SOLUTION\nNext.", "markdown")
    assert out == "Why?\nYOUR ANSWER HERE\nNext."


@pytest.mark.parametrize(
    "source, problem",
    [
        ("### BEGIN SOLUTION\nx = 1\n", "never closed"),
        ("x = 1\n### END SOLUTION\n", "without a"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "inside another"),
    ],
)
def test_unpaired_markers_are_an_error(source, problem):
    """Fails when a broken marker pair is silently released (the solution would leak or vanish)."""
    with pytest.raises(release.ReleaseError, match=problem):
        release.student_source(source, "code")


def test_release_writes_and_checks(tmp_path):
    """Fails when --check misses a stale or orphaned copy, or when writing leaves outputs or solutions behind."""
    src, dst = tmp_path / "instructor", tmp_path / "student"
    src.mkdir(), dst.mkdir()
    (src / "01_x.ipynb").write_text(json.dumps(_nb(("markdown", "# Week 01"), ("code", SOLVED))))
    (dst / "09_gone.ipynb").write_text("{}")
    assert release.release(check=True, source_dir=src, release_dir=dst) == ["01_x.ipynb", "09_gone.ipynb"]
    assert not (dst / "01_x.ipynb").exists(), "--check must not write"
    assert release.release(source_dir=src, release_dir=dst) == ["01_x.ipynb", "09_gone.ipynb"]
    assert release.release(check=True, source_dir=src, release_dir=dst) == []
    student = json.loads((dst / "01_x.ipynb").read_text())
    code = student["cells"][1]
    assert code["outputs"] == [] and code["execution_count"] is None
    assert "x * 2" not in "".join(code["source"]) and release.exercise_count(student) == 0
    assert release.exercise_count(json.loads((src / "01_x.ipynb").read_text())) == 1
    (dst / "01_x.ipynb").write_text((dst / "01_x.ipynb").read_text().replace("YOUR CODE HERE", "edited by hand"))
    assert release.release(check=True, source_dir=src, release_dir=dst) == ["01_x.ipynb"]


def test_committed_release_is_fresh():
    """Fails when notebooks/NN_*.ipynb differ from what `lab release` generates (edit the instructor source, then
    run it)."""
    assert release.release(check=True) == [], "run `lab release` (or `make release`) and commit the student notebooks"


STUDENT = notebooks.week_notebooks("student")
FIRST_WEEKS = [p for p in notebooks.week_notebooks("instructor") if p.name[:2] <= "05"]


@pytest.mark.parametrize("path", STUDENT, ids=[p.stem for p in STUDENT])
def test_student_release_holds_no_solution(path):
    """Fails when a student notebook still carries a solution marker."""
    text = path.read_text()
    assert release.BEGIN not in text and release.END not in text


@pytest.mark.parametrize("path", FIRST_WEEKS, ids=[p.stem for p in FIRST_WEEKS])
def test_weeks_00_to_05_have_exercises_with_markers(path):
    """Fails when a week 00–05 has no exercise between solution markers (the student copy would teach nothing)."""
    assert release.exercise_count(json.loads(path.read_text())) >= 2
