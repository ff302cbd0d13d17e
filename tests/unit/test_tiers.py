"""The test tiers (tests/README.md): every test file lies in a tier folder with its conftest, and every collected test
carries its tier's marker and needs nothing its tier does not have (no unit test uses the stack or the control plane),
so `make test-unit` and `-m` select honestly. ~10 s (one `pytest --collect-only` of the whole tree)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from lab import config

TESTS = config.REPO_ROOT / "tests"
# tier folder -> the markers of which each of its tests carries at least one (tests/<tier>/conftest.py adds it)
TIERS = {
    "unit": {"unit"},
    "stack": {"stack", "spark"},
    "faults": {"faults"},
    "notebooks": {"notebook"},
    "k8s": {"k8s"},
    "kind": {"kind"},
}
SERVICE_MARKERS = {"stack", "spark", "notebook", "k8s", "kind", "faults"}  # what the unit tier must not be
SERVICE_FIXTURES = {"stack", "control_plane"}  # session fixtures that start real services (tests/conftest.py)

# Run inside `pytest --collect-only`: one JSON line per collected test (its id, markers and fixtures).
DUMP = """
import json, pytest
class Dump:
    def pytest_collection_finish(self, session):
        for item in session.items:
            print("ITEM " + json.dumps({"id": item.nodeid, "markers": sorted({m.name for m in item.iter_markers()}),
                                        "fixtures": sorted(getattr(item, "fixturenames", ()))}))
raise SystemExit(pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", *ARGS], plugins=[Dump()]))
"""


def misplaced_files(tests: Path) -> list[str]:
    """Test files outside a tier folder, and tier folders without their conftest.py (which adds the marker)."""
    bad = [
        f"{p.relative_to(tests)}: not in a tier folder ({', '.join(TIERS)})"
        for p in sorted(tests.rglob("test_*.py"))
        if p.relative_to(tests).parts[0] not in TIERS
    ]
    bad += [
        f"{tier}/conftest.py is missing"
        for tier in TIERS
        if (tests / tier).is_dir() and not (tests / tier / "conftest.py").is_file()
    ]
    return bad


def tier_problems(items: list[dict]) -> list[str]:
    """What breaks the tier rules among collected tests ({"id", "markers", "fixtures"} each)."""
    bad = []
    for item in items:
        parts = item["id"].split("/")
        tier = parts[1] if parts[0] == "tests" and len(parts) > 2 else None
        markers = set(item["markers"])
        if tier not in TIERS:
            bad.append(f"{item['id']}: not in a tier folder")
            continue
        if not markers & TIERS[tier]:
            bad.append(f"{item['id']}: in tests/{tier} without the marker {' or '.join(sorted(TIERS[tier]))}")
        if tier == "unit" and (markers & SERVICE_MARKERS or set(item["fixtures"]) & SERVICE_FIXTURES):
            needs = sorted(markers & SERVICE_MARKERS | set(item["fixtures"]) & SERVICE_FIXTURES)
            bad.append(f"{item['id']}: a unit test that needs {needs}: move it to the tier that has it")
        if tier == "faults" and not markers & {"stack", "spark"}:
            bad.append(f"{item['id']}: a fault test says what it runs on (stack or spark), or it is a unit test")
    return bad


def collected(*args: str) -> list[dict]:
    out = subprocess.run(
        [sys.executable, "-c", f"ARGS = {list(args)!r}" + DUMP],
        cwd=config.REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    items = [json.loads(line[5:]) for line in out.stdout.splitlines() if line.startswith("ITEM ")]
    assert out.returncode == 0 and items, out.stdout[-3000:] + out.stderr[-3000:]
    return items


def test_every_test_file_lies_in_a_tier_folder_with_its_conftest():
    assert misplaced_files(TESTS) == []


def test_every_test_carries_its_tiers_marker_and_no_unit_test_needs_a_service():
    items = collected("tests")
    assert tier_problems(items) == []
    # and the markers select the folders: what `make test-unit` ran before the tiers is exactly tests/unit
    no_service = {i["id"] for i in items if not set(i["markers"]) & SERVICE_MARKERS}
    assert no_service == {i["id"] for i in items if i["id"].startswith("tests/unit/")}


def test_the_rules_catch_a_misplaced_file_and_a_wrong_marker(tmp_path):
    """The checks above fail on a violating layout (else they could never fail)."""
    (tmp_path / "unit").mkdir()
    (tmp_path / "stack").mkdir()
    (tmp_path / "unit" / "conftest.py").write_text("")
    (tmp_path / "test_loose.py").write_text("")
    (tmp_path / "stack" / "test_x.py").write_text("")
    assert misplaced_files(tmp_path) == [
        "test_loose.py: not in a tier folder (unit, stack, faults, notebooks, k8s, kind)",
        "stack/conftest.py is missing",
    ]
    items = [
        {"id": "tests/test_loose.py::test_a", "markers": [], "fixtures": []},
        {"id": "tests/unit/test_u.py::test_b", "markers": ["unit"], "fixtures": ["topic", "stack"]},
        {"id": "tests/unit/test_u.py::test_c", "markers": ["unit", "spark"], "fixtures": []},
        {"id": "tests/stack/test_s.py::test_d", "markers": ["k8s"], "fixtures": ["control_plane"]},
        {"id": "tests/faults/test_f.py::test_e", "markers": ["faults"], "fixtures": []},
        {"id": "tests/stack/test_s.py::test_ok", "markers": ["spark"], "fixtures": ["stack"]},
    ]
    assert tier_problems(items) == [
        "tests/test_loose.py::test_a: not in a tier folder",
        "tests/unit/test_u.py::test_b: a unit test that needs ['stack']: move it to the tier that has it",
        "tests/unit/test_u.py::test_c: a unit test that needs ['spark']: move it to the tier that has it",
        "tests/stack/test_s.py::test_d: in tests/stack without the marker spark or stack",
        "tests/faults/test_f.py::test_e: a fault test says what it runs on (stack or spark), or it is a unit test",
    ]


def test_the_side_sessions_ports_meet_none_of_the_main_ones(monkeypatch):
    """`make test` runs a second session on its own stack at LAB_PORT_OFFSET + the Makefile's shift: no port of one
    stack (services and control plane) may be a port of the other."""
    import re
    from dataclasses import astuple

    shift = int(re.search(r"LAB_PORT_OFFSET:-0\} \+ (\d+)", (config.REPO_ROOT / "Makefile").read_text())[1])

    def ports(offset: int) -> set[int]:
        monkeypatch.setenv("LAB_PORT_OFFSET", str(offset))
        return set(astuple(config.ports())) | set(astuple(config.control_plane_ports()))

    main, side = ports(0), ports(shift)
    assert not main & side, f"a shift of {shift} makes these ports shared: {sorted(main & side)}"
    assert 9092 in ports(0) & ports(50), "the check itself: a shift of 50 puts Cassandra's CQL port on Kafka's"
