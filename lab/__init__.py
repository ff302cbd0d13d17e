"""Kappa Lab: the small package behind the notebooks (services, data, producer, stream, dashboards)."""
from .config import target, use
from .errors import LabError

__all__ = ["LabError", "target", "use"]
