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


# An answer whose header says `INJECT = "<function>"` is also put into its week's notebook in place of that
# function's solution (or stub): the notebook runs to the end (Run All never stops) and exactly that exercise says ❌
# (one such wrong answer per week). Weeks 01–03 inject into the instructor source (every other exercise ✅); the
# weeks of test_notebooks.STUDENT_RUN_WITH_A_WRONG_ANSWER into the student copy (every other exercise ⏳), which is
# then their only student run.
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
        args = ", ".join(a.arg for a in node.args.args)
        regions = [r for r in release.regions(source) if node.lineno <= r[0] < node.end_lineno]
        if regions:  # the instructor source: the solution between its markers goes, the markers stay
            first, last, indent = regions[0]
            lines[first + 1 : last] = [f"{indent}return _injected[{function!r}]({args})\n"]
        else:  # the student copy: the stub's raise goes, its "# YOUR CODE HERE" stays (it marks the exercise cell)
            (i,) = [i for i in range(node.lineno - 1, node.end_lineno) if lines[i].strip() == release.CODE_STUB[1]]
            indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
            lines[i] = f"{indent}return _injected[{function!r}]({args})\n"
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
def test_notebook_goes_on_after_a_wrong_answer(week, function, answer, stack, tmp_path, kernel_ports_free, request):
    """Fails when a wrong answer stops Run All, or the notebook's exercises do not count exactly one ❌ for it."""
    import json

    from test_notebooks import STUDENT_RUN_WITH_A_WRONG_ANSWER, _exercise_outputs, uses_practice_cluster

    from lab.lessons import notebooks, release
    from lab.lessons.exercises import NOT_SOLVED

    student = week in STUDENT_RUN_WITH_A_WRONG_ANSWER  # that week's only student run: see test_notebooks.py
    source = notebooks.notebook_for(week, "student" if student else "instructor")
    if uses_practice_cluster(source):
        request.getfixturevalue("control_plane")  # the session's, as for the plain runs (test_notebooks.py)
    path = tmp_path / source.name
    path.write_text(json.dumps(inject(json.loads(source.read_text()), function, answer)))
    result = notebooks.run(path, {"target": "local", "smoke": True, "strict": False}, out_dir=tmp_path / "out")
    assert result.ok, f"{answer.name} stopped the notebook: {result.error} (see {result.output})"
    cells = _exercise_outputs(result.output)
    graded = [line for lines in cells for line in lines if line.startswith(("✅", "❌", NOT_SOLVED))]
    if not student:
        assert [g[0] for g in graded].count("❌") == 1, f"{answer}: {graded}"
        assert [g[0] for g in graded].count("✅") == len(cells) - 1, f"{answer}: {graded}"
        return
    exercises = release.exercise_count(json.loads(notebooks.notebook_for(week, "instructor").read_text()))
    assert len(cells) == exercises, f"{source.name}: {len(cells)} stub cells for {exercises} exercises"
    wrong = [g for g in graded if g.startswith("❌")]
    waiting = [g for g in graded if g.startswith(NOT_SOLVED)]
    assert len(wrong) == 1 and len(waiting) == exercises - 1 == len(graded) - 1, (
        f"{answer}: one ❌ for the injected answer and '{NOT_SOLVED}' for every other stub; got {graded}"
    )


def test_each_week_without_a_plain_student_run_has_an_injected_one():
    """The student copies of STUDENT_RUN_WITH_A_WRONG_ANSWER run only through their injected wrong answer."""
    from test_notebooks import STUDENT_RUN_WITH_A_WRONG_ANSWER

    assert set(STUDENT_RUN_WITH_A_WRONG_ANSWER) <= {week for week, _, _ in INJECTED}
