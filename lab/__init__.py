"""Kappa Lab: the small package behind the notebooks (services, data, producer, stream, dashboards).

Submodules load on first use (`lab.kafka`, `lab.produce`, …), so `import lab` starts nothing and stays fast.
"""
from __future__ import annotations

import importlib

from .config import target, use
from .errors import LabError

__all__ = ["LabError", "target", "use"]

_SUBMODULES = {
    "alerts", "artifacts", "cassandra", "charts", "config", "dashboard", "data", "decode", "environment", "errors", "exercises",
    "kafka", "kraft", "kube", "metrics", "notebooks", "process", "produce", "prometheus", "promql", "replay", "schema_registry",
    "schemas", "spark", "stack", "stream", "tables", "topics", "transforms", "truth", "wait", "wire",
}


def __getattr__(name: str):
    if name in _SUBMODULES:
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'lab' has no attribute {name!r}")
