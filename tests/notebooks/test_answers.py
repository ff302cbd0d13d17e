"""Learners' answers, right and wrong, run through the real exercise checks on the real stack (tests/notebooks/answers/).

Each file tests/notebooks/answers/weekNN/<case>.py is one answer as a learner would type it, with a header saying which
exercise it answers and what the check must say (✅ or ❌, and key words of the line). The week's `_grade.py` maps
each exercise to a function that runs the check, as the notebook's grade cell does. See tests/notebooks/answers/README.md.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

from lab.lessons.exercises import learner

ANSWERS_DIR = Path(__file__).resolve().parent / "answers"
ANSWERS = sorted(p for p in ANSWERS_DIR.glob("week*/*.py") if not p.name.startswith("_"))


def load(path: Path):
    """An answer (or a week's `_grade.py`) as a module of its own, kept alive while its functions run."""
    spec = importlib.util.spec_from_file_location(f"answers.{path.parent.name}.{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    folder = str(path.parent)
    sys.path.insert(0, folder)  # an answer may import a helper of its week (`from _consumer import consume_all`)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(folder)
        for name in [n for n, m in sys.modules.items() if str(getattr(m, "__file__", "")).startswith(folder)]:
            del sys.modules[name]  # the next week's helper of the same name is its own
    return module


def exercises_of(week: Path) -> dict:
    """The week's exercises: `_grade.py`'s EXERCISES, and those of any `_grade_<part>.py` beside it (two sets of a
    week's exercises, added apart, each keep a file of their own)."""
    exercises: dict = {}
    for grade_file in sorted(week.glob("_grade*.py")):
        exercises.update(load(grade_file).EXERCISES)
    return exercises


@pytest.mark.parametrize("path", ANSWERS, ids=[f"{p.parent.name}-{p.stem}" for p in ANSWERS])
def test_answer_is_judged(path, stack, unique_name, monkeypatch, capsys):
    """Fails when a wrong answer passes, a right one is refused, an answer crashes or hangs the grade cell, or the
    ❌ line does not name the cause (its key words), or names a wrong one (its absent words)."""
    answer = load(path)
    exercises = exercises_of(path.parent)
    assert answer.EXERCISE in exercises, f"{path.name}: no exercise {answer.EXERCISE!r} in {sorted(exercises)}"
    monkeypatch.setattr(learner, "TIMEOUT_S", getattr(answer, "TIMEOUT_S", 60))
    graded = exercises[answer.EXERCISE](answer, unique_name)
    line = graded.line
    assert line.startswith(answer.EXPECT), f"{path.name}: expected {answer.EXPECT}, the check said: {line}"
    assert graded.ok == (answer.EXPECT == "✅"), line
    missing = [w for w in getattr(answer, "KEYWORDS", ()) if w.lower() not in line.lower()]
    assert not missing, f"{path.name}: the line lacks {missing}: {line}"
    wrong = [w for w in getattr(answer, "ABSENT", ()) if w.lower() in line.lower()]
    assert not wrong, f"{path.name}: the line blames {wrong}: {line}"
    assert "Traceback" not in capsys.readouterr().out, "a traceback reached the cell"


# An answer whose header says `INJECT = "<function>"` is also put into its week's instructor notebook in place of
# that function's solution: the notebook runs to the end (Run All never stops) and exactly that exercise says ❌
# (one such wrong answer per week).
INJECTED = [
    (p.parent.name[4:], m[1], p) for p in ANSWERS if (m := re.search(r'^INJECT = "(\w+)"', p.read_text(), re.M))
]


def inject(nb: dict, function: str, answer: Path) -> dict:
    """`nb` with the solution of `function` replaced by a call of the answer file's function of that name."""
    import ast

    from lab.lessons import release

    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] != "code" or f"def {function}(" not in source:
            continue
        lines = source.splitlines(keepends=True)
        (node,) = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef) and n.name == function]
        first, last, indent = next(r for r in release.regions(source) if node.lineno <= r[0] < node.end_lineno)
        args = ", ".join(a.arg for a in node.args.args)
        lines[first + 1 : last] = [f"{indent}return _injected[{function!r}]({args})\n"]  # the markers stay
        loader = (
            "import sys\n\n"
            f"sys.path.insert(0, {str(answer.parent)!r})\n"
            f"_injected = {{}}\nexec(compile(open({str(answer)!r}).read(), {str(answer)!r}, 'exec'), _injected)\n"
        )
        cell["source"] = (loader + "\n" + "".join(lines)).splitlines(keepends=True)
        return nb
    raise AssertionError(f"no solution of {function} in the notebook")


@pytest.mark.notebook
@pytest.mark.parametrize(("week", "function", "answer"), INJECTED, ids=[f"week{w}-{a.stem}" for w, _, a in INJECTED])
def test_notebook_goes_on_after_a_wrong_answer(week, function, answer, stack, tmp_path, kernel_ports_free):
    """Fails when a wrong answer stops Run All, or the notebook's exercises do not count exactly one ❌ for it."""
    import json

    from test_notebooks import _exercise_outputs

    from lab.lessons import notebooks

    source = notebooks.notebook_for(week, "instructor")
    path = tmp_path / source.name
    path.write_text(json.dumps(inject(json.loads(source.read_text()), function, answer)))
    result = notebooks.run(path, {"target": "local", "smoke": True, "strict": False}, out_dir=tmp_path / "out")
    assert result.ok, f"{answer.name} stopped the notebook: {result.error} (see {result.output})"
    cells = _exercise_outputs(result.output)
    graded = [line[0] for lines in cells for line in lines if line.startswith(("✅", "❌"))]
    assert graded.count("❌") == 1 and graded.count("✅") == len(cells) - 1, f"{answer}: {graded}"
