"""Kappa Lab: the small package behind the notebooks (services, data, producer, stream, dashboards).

The layers, each importing only those before it: config/errors/wait → deploy → services → pipeline → observe →
lessons → cli. The notebooks reach the modules by their short names (`lab.kafka`, `lab.produce`, …); each loads on
first use, so `import lab` starts nothing and stays fast.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from lab.config import target, use
from lab.errors import LabError

__all__ = ["LabError", "target", "use"]

_LAYERS = ("deploy", "services", "pipeline", "observe", "lessons")


def _short_names() -> dict[str, str]:
    """Short name → module, read from the layer folders (file names only: nothing is imported)."""
    here = Path(__file__).parent
    return {
        info.name: f"lab.{layer}.{info.name}"
        for layer in _LAYERS
        for info in pkgutil.iter_modules([str(here / layer)])
        if not info.name.startswith("_")
    }


_SHORT = _short_names()


def __getattr__(name: str):
    """`lab.produce` → lab.pipeline.produce, loaded on first use."""
    if name in _SHORT or name in _LAYERS or name in ("config", "errors", "wait", "cli"):
        module = importlib.import_module(_SHORT.get(name, f"lab.{name}"))
        globals()[name] = module
        return module
    raise AttributeError(f"module 'lab' has no attribute {name!r}")
