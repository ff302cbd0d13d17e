"""Kappa Lab: the small package behind the notebooks (services, data, producer, stream, dashboards).

The layers, each importing only those before it: config/errors/wait → deploy → services → pipeline → observe →
lessons → cli. The notebooks reach the modules by their short names (`lab.kafka`, `lab.produce`, …); each loads on
first use, so `import lab` starts nothing and stays fast.
"""

from __future__ import annotations

import importlib

from lab.config import target, use
from lab.errors import LabError

__all__ = ["LabError", "target", "use"]

_LAYERS = {
    "deploy": ("kind", "kube", "kubeclient", "manifests"),
    "services": (
        "process",
        "clientlog",
        "artifacts",
        "lifecycle",
        "exporter",
        "kafka",
        "schema_registry",
        "cassandra",
        "prometheus",
        "spark",
        "stack",
        "environment",
        "backup",
        "s3proxy",
        "connect",
        "controlplane",
    ),
    "pipeline": (
        "data",
        "wire",
        "schemas",
        "topics",
        "produce",
        "decode",
        "fastpath",
        "sink",
        "tables",
        "truth",
        "stream",
        "archive",
    ),
    "observe": ("promql", "metrics", "transforms", "charts", "dashboard", "progress", "alerts"),
    "lessons": ("kraft", "late", "loadtest", "recovery", "replay", "notebooks", "release", "exercises"),
}
_SHORT = {name: f"lab.{layer}.{name}" for layer, names in _LAYERS.items() for name in names}


def __getattr__(name: str):
    """`lab.produce` → lab.pipeline.produce, loaded on first use."""
    if name in _SHORT or name in _LAYERS or name in ("config", "errors", "wait", "cli"):
        module = importlib.import_module(_SHORT.get(name, f"lab.{name}"))
        globals()[name] = module
        return module
    raise AttributeError(f"module 'lab' has no attribute {name!r}")
