"""The package's layer rule: a layer imports only the layers before it (config/errors/wait → deploy → services →
pipeline → observe → lessons → cli), never one after it. Fails naming each import that breaks the rule."""

from __future__ import annotations

import ast
from pathlib import Path

from lab import config

LAB = config.PACKAGE_DIR
ORDER = ["base", "deploy", "services", "pipeline", "observe", "lessons", "cli"]
BASE = {"config", "errors", "wait"}


def layer_of(module: str) -> str | None:
    """The layer of a dotted module name inside lab (None outside lab or for the package's own __init__)."""
    parts = module.split(".")
    if parts[0] != "lab" or len(parts) == 1:
        return None
    head = parts[1]
    if head in BASE:
        return "base"
    return head if head in ORDER else None


def imports(path: Path, root: Path = LAB) -> list[tuple[int, str]]:
    """Every module a file imports (absolute or relative, at any depth: lazy imports count too)."""
    rel = path.relative_to(root.parent).with_suffix("")
    package = list(rel.parts[:-1]) if rel.name != "__init__" else list(rel.parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found.append((node.lineno, module))
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]  # `from lab import kafka`
    return found


def violations(root: Path = LAB) -> list[str]:
    """Every import against the layer order in the package at `root` (a folder named lab)."""
    bad = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent)
        if rel.parts[-1] == "__init__.py" and len(rel.parts) == 2:
            continue  # lab/__init__.py maps short names lazily, by string
        mine = layer_of(".".join(rel.with_suffix("").parts))
        if mine is None:
            continue
        for line, module in imports(path, root):
            theirs = layer_of(module)
            if theirs is not None and ORDER.index(theirs) > ORDER.index(mine):
                bad.append(f"{rel}:{line} ({mine}) imports {module} ({theirs})")
    return sorted(set(bad))


def test_every_module_belongs_to_a_layer():
    loose = [p.name for p in LAB.glob("*.py") if p.stem not in BASE | {"cli", "__init__"}]
    assert not loose, f"modules outside the layers: {loose}; move them into deploy/services/pipeline/observe/lessons"


def test_no_layer_imports_a_later_one():
    assert not violations(), "imports against the layer order:\n" + "\n".join(violations())


def test_the_rule_catches_a_late_import(tmp_path):
    """The checker itself: a services module importing the pipeline is reported."""
    assert layer_of("lab.pipeline.produce") == "pipeline" and layer_of("lab.config") == "base"
    assert ORDER.index(layer_of("lab.pipeline.produce")) > ORDER.index(layer_of("lab.services.kafka"))
    pkg = tmp_path / "lab"
    (pkg / "services").mkdir(parents=True)
    (pkg / "services" / "kafka.py").write_text(
        "from lab import config\n\n\ndef f():\n    from lab.pipeline import produce  # a lazy import counts\n"
    )
    (pkg / "services" / "cassandra.py").write_text("from ..observe import metrics\n")
    assert violations(pkg) == [
        "lab/services/cassandra.py:1 (services) imports lab.observe (observe)",
        "lab/services/cassandra.py:1 (services) imports lab.observe.metrics (observe)",
        "lab/services/kafka.py:5 (services) imports lab.pipeline (pipeline)",
        "lab/services/kafka.py:5 (services) imports lab.pipeline.produce (pipeline)",
    ]
