"""Learners' answers, right and wrong, run through the real exercise checks on the real stack (tests/answers/).

Each file tests/answers/weekNN/<case>.py is one answer as a learner would type it, with a header saying which
exercise it answers and what the check must say (✅ or ❌, and key words of the line). The week's `_grade.py` maps
each exercise to a function that runs the check, as the notebook's grade cell does. See tests/answers/README.md.
"""

from __future__ import annotations

import importlib.util
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


@pytest.mark.parametrize("path", ANSWERS, ids=[f"{p.parent.name}-{p.stem}" for p in ANSWERS])
def test_answer_is_judged(path, stack, unique_name, monkeypatch, capsys):
    """Fails when a wrong answer passes, a right one is refused, an answer crashes or hangs the grade cell, or the
    ❌ line does not name the cause (its key words), or names a wrong one (its absent words)."""
    answer = load(path)
    exercises = load(path.parent / "_grade.py").EXERCISES
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
