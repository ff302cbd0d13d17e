"""The notebooks follow the template and are committed clean (no stack needed)."""

from __future__ import annotations

import ast
import json

import pytest

from lab.lessons import notebooks

INSTRUCTOR = notebooks.week_notebooks("instructor")
WEEKS = INSTRUCTOR + notebooks.week_notebooks("student")
IDS = [f"{p.parent.name}-{p.stem}" for p in WEEKS]
REQUIRED = {"target": "str", "smoke": "bool"}


def _cells(path):
    return json.loads(path.read_text())["cells"]


def test_one_notebook_per_week():
    """Fails when a week 00–09 has no instructor notebook or two of them, or its student copy is missing."""
    prefixes = [p.name[:2] for p in INSTRUCTOR]
    student = [p.name for p in notebooks.week_notebooks("student")]
    assert student == [p.name for p in INSTRUCTOR], f"student release {student} ≠ instructor sources: run `lab release`"
    assert prefixes == sorted(set(prefixes)), f"duplicate week numbers: {prefixes}"
    assert set(prefixes) >= {f"{w:02d}" for w in range(10)}, (
        f"missing weeks: {sorted({f'{w:02d}' for w in range(10)} - set(prefixes))}"
    )


@pytest.mark.parametrize("path", WEEKS, ids=IDS)
def test_template(path):
    """Fails when a notebook has outputs, lacks kernelspec, or departs from the template's order."""
    nb = json.loads(path.read_text())
    assert nb["metadata"].get("kernelspec", {}).get("language") == "python", "kernelspec python3 metadata missing"
    cells = nb["cells"]
    no_id = [i for i, c in enumerate(cells) if not c.get("id")]
    assert not no_id, f"cells {no_id} have no id (nbformat 4.5 wants one; papermill warns on every run)"
    dirty = [
        i for i, c in enumerate(cells) if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))
    ]
    assert not dirty, f"cells {dirty} carry outputs: run `lab strip`"
    assert cells[0]["cell_type"] == "markdown" and "".join(cells[0]["source"]).startswith(f"# Week {path.name[:2]}"), (
        "first cell must be the '# Week NN: Title' heading"
    )
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    for heading in ("What you will learn", "Exercises", "Clean up"):
        assert heading in text, f"no '{heading}' section"
    code = [c for c in cells if c["cell_type"] == "code"]
    first = code[0]
    assert "parameters" in first.get("metadata", {}).get("tags", []), "the first code cell must be tagged 'parameters'"
    src = "".join(first["source"])
    declared = {n.target.id: ast.unparse(n.annotation) for n in ast.parse(src).body if isinstance(n, ast.AnnAssign)}
    for name, typ in REQUIRED.items():
        assert declared.get(name) == typ, f"parameter {name}: {typ} missing (declared: {declared})"
    if path.name[:2] <= "07":  # the labs: the solutions live between markers, `strict` only says how a check fails
        assert declared.get("strict") == "bool" and "solutions" not in declared, f"want strict: bool, got {declared}"
    for line in src.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            assert "#" in line, f"parameter line without an explanatory comment: {line!r}"
    assert "time.sleep(" not in "\n".join("".join(c["source"]) for c in code), "notebooks never sleep blindly"


@pytest.mark.parametrize("path", WEEKS, ids=IDS)
def test_papermill_sees_parameters(path):
    """Fails when papermill cannot read the parameters (they are the notebook's API)."""
    params = notebooks.parameters_of(path)
    assert set(REQUIRED) <= set(params), sorted(params)
