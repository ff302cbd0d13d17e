"""Kappa Lab: the small package behind the notebooks (services, data, producer, stream, dashboards).

Submodules load on first use (`lab.kafka`, `lab.produce`, …), so `import lab` starts nothing and stays fast.
"""
from __future__ import annotations

import importlib
from pathlib import Path

from .config import target, use
from .errors import LabError

__all__ = ["LabError", "target", "use"]

_HERE = Path(__file__).resolve().parent


def __getattr__(name: str):
    if not name.startswith("_") and ((_HERE / f"{name}.py").exists() or (_HERE / name / "__init__.py").exists()):
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'lab' has no attribute {name!r}")
