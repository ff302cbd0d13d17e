"""lab's short names (`lab.produce`, `lab.kafka`, …) come from the layer folders and stay unambiguous."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import lab

LAB = Path(lab.__file__).parent


def test_every_module_of_a_layer_has_its_short_name_and_no_name_is_in_two_layers():
    files = [p for layer in lab._LAYERS for p in (LAB / layer).glob("*.py") if not p.name.startswith("_")]
    files += [p for layer in lab._LAYERS for p in (LAB / layer).glob("*/__init__.py")]
    names = [p.stem if p.name != "__init__.py" else p.parent.name for p in files]
    assert sorted(names) == sorted(lab._SHORT), "a short name is missing, or one module name is in two layers"
    assert lab._SHORT["produce"] == "lab.pipeline.produce" and lab._SHORT["exercises"] == "lab.lessons.exercises"
    assert lab.kafka.__name__ == "lab.services.kafka"


def test_import_lab_loads_no_layer():
    code = "import sys, lab; print(sorted(m for m in sys.modules if m.startswith('lab.')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['lab.config', 'lab.errors']", out
