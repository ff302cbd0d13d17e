"""Week 09's capstone, step 7 (the overlay deploy) judged as the notebook judges it: kubectl kustomize, step 3's key
rules, step 6's promtool cases and the real Kubernetes API server (the session's control plane as the practice
cluster). The answers are files (tests/notebooks/answers/week09/overlay/, their header as in the answers README); the
instructor notebook's own cell passes as written. An answer marked `CLUSTER = False` is refused before any cluster is
asked and runs with none."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

import lab
from lab.lessons.exercises import capstone, learner
from lab.lessons.notebooks import INSTRUCTOR_DIR

ANSWERS_DIR = Path(__file__).resolve().parents[1] / "notebooks" / "answers" / "week09" / "overlay"
ANSWERS = sorted(p for p in ANSWERS_DIR.glob("*.py") if not p.name.startswith("_"))
NOTEBOOK = INSTRUCTOR_DIR / "09_live_demo.ipynb"
SOLUTION_CELL = "5c1f0a7e9d2b4c3a8e6f1d0b2a4c6e8f"  # the instructor notebook's step 7 cell (solution and grade call)


def load(path: Path):
    """An answer file as a module of its own (its folder's `_overlay.py` importable while it loads)."""
    spec = importlib.util.spec_from_file_location(f"answers.overlay.{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.parent))
    return module


@pytest.mark.parametrize("path", ANSWERS, ids=[p.stem.removeprefix("capstone_overlay_") for p in ANSWERS])
def test_overlay_answer_is_judged(path, cluster, namespace, tmp_path, judge, monkeypatch):
    """Fails when a wrong answer passes, a right one is refused, the line does not name the cause, or an answer the
    check should refuse offline reaches the API server (it has none then: the check could not finish)."""
    answer = load(path)
    assert answer.EXERCISE == "overlay"
    monkeypatch.setattr(learner, "TIMEOUT_S", getattr(answer, "TIMEOUT_S", 60))
    where = {"cluster": cluster, "namespace": namespace} if answer.CLUSTER else {"cluster": "none", "namespace": "none"}
    ok, line = judge(lambda: capstone.check_overlay(answer.write_capstone_overlay, tmp_path / "overlay", **where))
    assert line.startswith(answer.EXPECT) and ok == (answer.EXPECT == "✅"), f"{path.name}: {line}"
    missing = [w for w in getattr(answer, "KEYWORDS", ()) if w.lower() not in line.lower()]
    assert not missing, f"{path.name}: the line lacks {missing}: {line}"
    wrong = [w for w in getattr(answer, "ABSENT", ()) if w.lower() in line.lower()]
    assert not wrong, f"{path.name}: the line blames {wrong}: {line}"
    if answer.CLUSTER and answer.EXPECT == "✅":  # what the API server holds now, read back by the test itself
        held = cluster.api.core.read_namespaced_config_map("cassandra-cql", namespace).data
        assert "005_zone_durations.cql" in held and "001_keyspace.cql" in held, sorted(held)


def test_the_instructor_solution_passes(run_cell, tmp_path):
    """The notebook's own step 7 cell (solution and grade call), executed as written on target local with the earlier
    steps' functions it uses defined as in the notebook's solutions."""
    cells = {c.get("id"): "".join(c["source"]) for c in json.loads(NOTEBOOK.read_text())["cells"]}
    earlier = "\n\n".join(
        cells[i] for i in ("1b53fab406964cd3a7616f7c59412942", "7085d1965c754723ac6f0c2684905b30")
    )  # zone_durations_ddl and duration_job_down, each with its grade call (step 3's needs no Cassandra: stubbed)
    source = cells[SOLUTION_CELL]
    assert "### BEGIN SOLUTION" in source
    scope = {"lab": lab, "strict": True, "smoke": True, "capstone": {}, "capstone_overlay_dir": tmp_path / "overlay"}
    exec(compile(earlier.replace("lab.exercises.grade(", "(lambda *a, **k: True)("), "earlier", "exec"), scope)
    out = run_cell(source, f"{NOTEBOOK.name}:overlay", "capstone-overlay", scope)
    assert "✅" in out and "❌" not in out, out
