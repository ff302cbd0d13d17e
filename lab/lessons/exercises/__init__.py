"""Exercise checks: each week's module has `check_*` functions that raise CheckFailed saying what is wrong."""
from __future__ import annotations

import importlib
from typing import Any, Callable

from lab.errors import CheckFailed


def __getattr__(name: str):
    """Week modules (`lab.exercises.week03`) load on first use."""
    if name.startswith("week"):
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(name)


def grade(check: Callable[..., Any], *args: Any, strict: bool = False, **kwargs: Any) -> bool:
    """Run an exercise check and print ✅ or ❌ with the reason.

    With `strict=True` (instructor/solutions mode, and in tests) a failing check raises CheckFailed,
    so a broken solution fails the notebook run; learners only see the message.

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
    """
    try:
        message = check(*args, **kwargs)
    except CheckFailed as exc:
        print(f"❌ Not yet: {exc}")
        if strict:
            raise
        return False
    print(f"✅ {message or 'correct'}")
    return True


def expect(condition: bool, message: str) -> None:
    """Raise CheckFailed(message) unless `condition` holds."""
    if not condition:
        raise CheckFailed(message)
