"""Exercise checks: each week's module has `check_*` functions that raise CheckFailed saying what is wrong."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from lab.errors import CheckFailed
from lab.lessons.exercises import learner
from lab.lessons.exercises.learner import call, fallback, within

__all__ = ["NOT_SOLVED", "Graded", "call", "expect", "fallback", "grade", "learner", "solved_or", "within"]


def __getattr__(name: str):
    """Week modules (`lab.exercises.week03`, `stateful` of week 7 and `capstone` of week 9) load on first use."""
    if name.startswith("week") or name in ("stateful", "capstone"):
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(name)


NOT_SOLVED = "⏳ not solved yet"


class Graded:
    """What `grade` returns: true when the check passed; `line` is what it printed (a notebook shows nothing else)."""

    def __init__(self, ok: bool, line: str = ""):
        self.ok, self.line = ok, line

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        return repr(self.ok)

    def _ipython_display_(self) -> None:  # no `Out[…]: True` under every check cell
        return None


def _said(ok: bool, line: str) -> Graded:
    print(line)
    return Graded(ok, line)


def grade(check: Callable[..., Any], *args: Any, strict: bool = False, **kwargs: Any) -> Graded:
    """Run an exercise check and print one line: ✅, ❌ with the reason, or ⏳ while the learner's code is the stub.

    The check runs the learner's function (or a zero-argument lambda that calls it), so a stub that raises
    NotImplementedError reports "not solved yet" instead of crashing the cell. *Any* other exception from the
    learner's code (a Python error, Spark's AnalysisException, an HTTP or Cassandra error) becomes one ❌ line with
    its kind, its root cause and the learner's own line (`learner.describe`): Run All never stops on a learner's bug.
    With `strict=True` (the instructor source and the tests) a ❌ also raises, so a broken solution fails the run; a
    stub never raises: the student release runs top to bottom.

    >>> def check_two(x):
    ...     if x != 2:
    ...         raise CheckFailed(f"expected 2, got {x}")
    ...     return "two it is"
    >>> grade(check_two, 2)
    ✅ two it is
    True
    >>> grade(check_two, 3)
    ❌ Not yet: expected 2, got 3
    False
    >>> def stub():
    ...     raise NotImplementedError("not solved yet")
    >>> grade(lambda: check_two(stub()), strict=True)
    ⏳ not solved yet: complete the function above (replace `raise NotImplementedError`), then run this cell again
    False
    >>> grade(lambda: check_two(int("two")))  # doctest: +ELLIPSIS
    ❌ Your code raised ValueError: invalid literal for int() with base 10: 'two' (...)
    False
    """
    try:
        message = check(*args, **kwargs)
    except NotImplementedError:
        return _said(
            False,
            f"{NOT_SOLVED}: complete the function above (replace `raise NotImplementedError`), then run this cell again",
        )
    except CheckFailed as exc:
        graded = _said(False, f"❌ Not yet: {exc}")
        if strict:
            raise
        return graded
    except Exception as exc:  # noqa: BLE001 - any learner error is one line, never a traceback in the cell
        who = "Your code raised" if learner.from_learner(exc) else "The check could not finish:"
        graded = _said(False, f"❌ {who} {learner.describe(exc)}")
        if strict:
            raise
        return graded
    return _said(True, f"✅ {message or 'correct'}")


def solved_or(solution: Callable[[], Any], fallback: Callable[[], Any], what: str) -> Any:
    """The learner's result when their code is complete and works, else the lab's tuned version's (with a note).

    Cells after an exercise use it, so the notebook runs top to bottom before anything is solved, and after a wrong
    answer that raises.

    >>> def stub():
    ...     raise NotImplementedError
    >>> solved_or(stub, lambda: 42, "the answer")
    ℹ️ the answer: your version is not solved yet, so the lab's own is used below
    42
    >>> solved_or(lambda: 1 / 0, lambda: 42, "the answer")  # doctest: +ELLIPSIS
    ℹ️ the answer: your version raised ZeroDivisionError: division by zero (...), so the lab's own is used below
    42
    """
    try:
        return solution()
    except NotImplementedError:
        print(f"ℹ️ {what}: your version is not solved yet, so the lab's own is used below")
    except Exception as exc:  # noqa: BLE001 - a learner's bug must not stop the cells after the exercise
        print(f"ℹ️ {what}: your version raised {learner.describe(exc)}, so the lab's own is used below")
    return fallback()


def expect(condition: bool, message: str) -> None:
    """Raise CheckFailed(message) unless `condition` holds."""
    if not condition:
        raise CheckFailed(message)
