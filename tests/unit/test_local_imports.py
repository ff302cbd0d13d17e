"""The lab's own modules are imported at the top of a module, where a reader sees what it depends on (issue 25);
inside a function only heavy third-party packages are (pyspark, cassandra, kubernetes, … load on first use).

DEBT holds the function-local `from lab…` imports that were there when the rule came, per file: a file may only
lower its number (and must then lower it here), a file not listed has none, so no new one is added."""

from __future__ import annotations

import ast

from lab import config

LAB = config.PACKAGE_DIR

# What is left, and why: cli.py (`lab …` starts in 0.1 s; its modules at the top would pull pandas in), topics (its
# one use of lab.stream, which would load pandas and the Spark plumbing into every Kafka-only caller), week01 and
# learner (the same).
DEBT = {  # file (relative to lab/) → function-local imports of the lab still there; lower it as they move up
    "cli.py": 26,
    "lessons/exercises/learner.py": 1,
    "lessons/exercises/week01.py": 1,
    "pipeline/topics.py": 1,
}


def local_lab_imports(source: str) -> list[int]:
    """Line numbers of the `from lab… import …` / `import lab…` / relative imports inside a function or method."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for sub in ast.walk(node):
                if isinstance(sub, ast.ImportFrom) and (sub.level or (sub.module or "").split(".")[0] == "lab"):
                    lines.append(sub.lineno)
                elif isinstance(sub, ast.Import) and any(a.name.split(".")[0] == "lab" for a in sub.names):
                    lines.append(sub.lineno)
    return sorted(set(lines))


def counts() -> dict[str, list[int]]:
    """File (relative to lab/) → the lines of its function-local lab imports, for every file that has one."""
    found = {}
    for path in sorted(LAB.rglob("*.py")):
        lines = local_lab_imports(path.read_text())
        if lines:
            found[str(path.relative_to(LAB))] = lines
    return found


def test_the_rule_catches_a_function_local_lab_import():
    source = (
        "import pandas\nfrom lab import config\n\n"
        "def f():\n    import pyspark\n    from lab.services import kafka\n    return kafka\n\n"
        "class C:\n    def m(self):\n        import lab.wait\n        from . import tables\n"
    )
    assert local_lab_imports(source) == [6, 11, 12]  # pyspark (heavy third-party) and the top-level ones are fine


def test_no_file_adds_a_function_local_lab_import():
    grown = {
        name: f"{len(lines)} (lines {', '.join(map(str, lines))}; allowed {DEBT.get(name, 0)})"
        for name, lines in counts().items()
        if len(lines) > DEBT.get(name, 0)
    }
    assert not grown, (
        "import the lab's modules at the top of the module (a function-local import only for a heavy third-party "
        f"package): {grown}"
    )


def test_the_debt_only_goes_down():
    now = {name: len(lines) for name, lines in counts().items()}
    paid = {name: f"{n} → {now.get(name, 0)}" for name, n in DEBT.items() if now.get(name, 0) < n}
    assert not paid, f"fewer function-local lab imports than DEBT allows: lower DEBT in this file: {paid}"
