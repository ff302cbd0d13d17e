"""Offline checks of .github/workflows: every file an action input names exists at that step, every command exists.

GitHub runs these workflows; here nothing of them executes. These checks catch what would stop them before any runner
starts: a cache keyed on files the repository does not have (setup-java's `cache: maven` hashes `**/pom.xml` and fails
the step when nothing matches), a `make` target, `lab` subcommand or flag, script or test file that does not exist.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from functools import cache
from pathlib import Path

import pytest
import yaml

from lab import cli, config

REPO = config.REPO_ROOT
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
# What an action hashes when it is asked to cache without `cache-dependency-path` (its documented defaults).
CACHE_DEFAULTS = {
    "actions/setup-java": {
        "maven": ["**/pom.xml", "**/.mvn/wrapper/maven-wrapper.properties", "**/.mvn/extensions.xml"],
        "gradle": ["**/*.gradle*", "**/gradle-wrapper.properties"],
        "sbt": ["**/*.sbt"],
    },
    "actions/setup-python": {
        "pip": ["**/requirements.txt"],
        "pipenv": ["**/Pipfile.lock"],
        "poetry": ["**/poetry.lock"],
    },
    "actions/setup-node": {"npm": ["**/package-lock.json"], "yarn": ["**/yarn.lock"], "pnpm": ["**/pnpm-lock.yaml"]},
}


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def checkout_dir(job: dict) -> str:
    """Where actions/checkout puts the repository, relative to the workspace ('' = the workspace itself)."""
    for step in job["steps"]:
        if step.get("uses", "").startswith("actions/checkout@"):
            return (step.get("with") or {}).get("path", "").strip("/")
    raise AssertionError("the job checks nothing out")


@cache
def tracked() -> tuple[str, ...]:
    """The repository's committed files (what a checkout holds; .lab/ and build/ come later)."""
    out = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    return tuple(out.splitlines())


def _regex(pattern: str) -> re.Pattern:
    """A workflow glob (`**/x`, `*`, `?`, `[0-9]`) as a regex over repository paths."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[" and "]" in pattern[i:]:
            j = pattern.index("]", i)
            out, i = out + pattern[i : j + 1], j + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + "$")


def repo_matches(workspace_pattern: str, checkout: str) -> list[str]:
    """Committed files matching a workspace-relative glob (the clone sits at `checkout`)."""
    pattern = workspace_pattern.strip().removeprefix("./")
    if checkout:
        if pattern.startswith(checkout + "/"):
            pattern = pattern[len(checkout) + 1 :]
        elif not pattern.startswith("**/"):  # `**/x` also matches inside the clone
            return []
    regex = _regex(pattern)
    return [f for f in tracked() if regex.match(f)]


def file_inputs(job: dict) -> list[tuple[str, str]]:
    """(step, workspace glob) for every file an action's cache key is computed from."""
    out = []
    for step in job["steps"]:
        uses, with_ = step.get("uses", "").split("@")[0], step.get("with") or {}
        name = step.get("name") or uses
        if uses in CACHE_DEFAULTS and with_.get("cache"):
            given = with_.get("cache-dependency-path")
            patterns = given.split() if given else CACHE_DEFAULTS[uses][with_["cache"]]
            out.append((name, patterns))
        for value in with_.values():
            for args in re.findall(r"hashFiles\(([^)]*)\)", str(value)):
                out.append((name, re.findall(r"'([^']+)'", args)))
    return out


def jobs():
    for path in WORKFLOWS:
        for job_name, job in load(path)["jobs"].items():
            yield pytest.param(path, job, id=f"{path.name}:{job_name}")


def test_there_are_workflows():
    assert {p.name for p in WORKFLOWS} >= {"kind.yml", "test.yml"}


@pytest.mark.parametrize("path, job", list(jobs()))
def test_every_cache_key_names_files_that_exist(path, job):
    """setup-java/-python/-node `cache:` and every hashFiles() must match a file of the clone at that step."""
    checkout = checkout_dir(job)
    for step, patterns in file_inputs(job):
        matched = [p for p in patterns if repo_matches(p, checkout)]
        assert matched, (
            f"{path.name}, step {step!r}: none of {patterns} matches a file of the repository "
            f"(checked out into {checkout or 'the workspace'}/); the step fails or its key is empty"
        )


@pytest.mark.parametrize("path, job", list(jobs()))
def test_paths_the_workflow_keeps_are_inside_the_clone(path, job):
    """actions/cache and upload-artifact paths lie in the clone (where `lab` writes .lab/, build/ and runs/)."""
    checkout = checkout_dir(job)
    for step in job["steps"]:
        uses = step.get("uses", "").split("@")[0]
        if uses in ("actions/cache", "actions/upload-artifact"):
            for p in str(step["with"]["path"]).split():
                assert not checkout or p.startswith(checkout + "/"), f"{path.name}: {p} is outside {checkout}/"
                top = p[len(checkout) + 1 :].split("/")[0] if checkout else p.split("/")[0]
                assert top in (".lab", "build", "runs") or (REPO / top).exists(), f"{path.name}: nothing writes {p}"


# --- the commands the workflows run ------------------------------------------------------------------------------


def makefile_targets() -> set[str]:
    return set(re.findall(r"^([a-z][a-z0-9_-]*):", (REPO / "Makefile").read_text(), flags=re.MULTILINE))


def _loops(script: str) -> dict[str, str]:
    """Shell loop variables and their first value (`for s in kafka schema_registry; do` → {'s': 'kafka'})."""
    return {m[0]: m[1].rstrip(";") for m in re.findall(r"\bfor (\w+) in (\S+)", script)}


def commands(script: str) -> list[list[str]]:
    """The simple commands of a `run:` script (joined continuation lines, split at ;, &&, ||, |), as argv lists."""
    loops = _loops(script)
    text = re.sub(r"\\\n", " ", script)
    text = re.sub(r"<<'?(\w+)'?\n.*?\n\s*\1\n", "\n", text, flags=re.DOTALL)  # heredoc bodies are data
    out = []
    for line in text.splitlines():
        line = line.split(" #")[0].strip()
        for part in re.split(r"\s*(?:&&|\|\||;|\|)\s*", line):
            part = re.sub(r"\$\{\{[^}]*\}\}", "x", part)
            for var, first in loops.items():
                part = re.sub(rf'"?\$\{{?{var}\}}?"?', first, part)
            try:
                argv = shlex.split(part)
            except ValueError:
                continue
            while argv and re.match(r"^\w+=", argv[0]):  # VAR=value cmd …
                argv = argv[1:]
            while argv and argv[0] in ("do", "then", "else"):
                argv = argv[1:]
            if argv and argv[0] not in ("done", "fi", "for", "if", "while"):
                out.append(argv)
    return out


def run_scripts(job: dict) -> list[tuple[str, str]]:
    return [(s.get("name") or s["run"].splitlines()[0], s["run"]) for s in job["steps"] if "run" in s]


def check_command(argv: list[str]) -> str | None:
    """Why a command would not run in the clone (None: it exists and parses)."""
    prog = argv[0]
    if prog == "make":
        missing = [t for t in argv[1:] if not t.startswith("-") and "=" not in t and t not in makefile_targets()]
        return f"make has no target(s) {missing}" if missing else None
    if prog in ("lab", ".venv/bin/lab") or argv[:3] in (["python", "-m", "lab"], [".venv/bin/python", "-m", "lab"]):
        args = argv[1:] if prog.endswith("lab") else argv[3:]
        try:
            cli.build_parser().parse_args(args)
        except SystemExit:
            return f"`lab {' '.join(args)}` does not parse (unknown subcommand or flag)"
        return None
    if prog.startswith((".ci/", "bench/", "./")):
        path = REPO / prog
        return None if path.is_file() and path.stat().st_mode & 0o111 else f"{prog} is not an executable file"
    if prog in ("python", ".venv/bin/python", "python3") and argv[1:3] == ["-m", "papermill"]:
        from lab.lessons import notebooks

        names = [argv[i + 1] for i, a in enumerate(argv) if a == "-p"]
        paths = [REPO / f for f in tracked() if _regex(argv[3]).match(f)]
        if not paths:
            return f"papermill input {argv[3]} matches no notebook"
        unknown = [f"{p.name}: {n}" for p in paths for n in names if n not in notebooks.parameters_of(p)]
        return f"papermill parameters the notebooks do not declare: {unknown}" if unknown else None
    if prog in ("python", ".venv/bin/python", "python3") and argv[1:3] == ["-m", "pytest"]:
        missing = [a for a in argv[3:] if a.startswith("tests/") and not (REPO / a.split("::")[0]).exists()]
        return f"pytest paths {missing} do not exist" if missing else None
    return None


@pytest.mark.parametrize("path, job", list(jobs()))
def test_every_command_the_workflow_runs_exists(path, job):
    problems = [
        f"step {step!r}: {why}"
        for step, script in run_scripts(job)
        for argv in commands(script)
        if (why := check_command(argv))
    ]
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


def test_the_checks_catch_what_they_are_for():
    """A cache on pom.xml, a missing make target, an unknown lab flag and a missing test file are all reported."""
    job = {
        "steps": [
            {"uses": "actions/checkout@v4", "with": {"path": "main"}},
            {"uses": "actions/setup-java@v4", "with": {"cache": "maven"}},
        ]
    }
    assert [p for _, pats in file_inputs(job) for p in pats if repo_matches(p, "main")] == []
    job["steps"][1]["with"]["cache-dependency-path"] = "main/lab/config.py"
    assert all(repo_matches(p, "main") for _, pats in file_inputs(job) for p in pats)
    assert check_command(["make", "no-such-target"]) and check_command(["lab", "up", "--no-such-flag"])
    assert check_command(["python", "-m", "pytest", "tests/test_nothing.py"])
    assert check_command([".ci/nothing"])
    assert check_command(["lab", "--target", "kind", "status"]) is None
    assert "no_such_parameter" in check_command(
        ["python", "-m", "papermill", "notebooks/08_deploy.ipynb", "out.ipynb", "-p", "no_such_parameter", "1"]
    )
    assert commands('for s in kafka cassandra; do lab kind logs "$s" --tail 80 || true; done') == [
        ["lab", "kind", "logs", "kafka", "--tail", "80"],
        ["true"],
    ]
