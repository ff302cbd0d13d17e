"""The image-build contract (B1): every COPY/ADD source of each image a workflow or the kind quickstart builds exists
after that workflow's (or quickstart's) own earlier steps, and the default build builds only what the default overlay
deploys. Replays the commands in order; no Docker needed (the kind workflow builds for real)."""

from __future__ import annotations

import re
import shlex
import subprocess
from functools import cache
from pathlib import Path

import pytest
from test_workflows import commands, load, run_scripts

from lab import config
from lab.deploy import kind
from lab.services import artifacts

REPO = config.REPO_ROOT
JARS = ".lab/jars"  # where `lab setup` puts the bundles inside the clone (the Dockerfiles copy from there)


@cache
def tracked() -> frozenset[str]:
    out = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    return frozenset(out.split())


def copy_sources(dockerfile: Path) -> list[str]:
    """The build-context paths a Dockerfile's COPY/ADD read (not those of COPY --from=<stage>)."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    out = []
    for line in text.splitlines():
        words = shlex.split(line.split(" #")[0]) if re.match(r"^\s*(COPY|ADD)\s", line) else []
        if not words or any(w.startswith("--from") for w in words):
            continue
        out += [w for w in words[1:-1] if not w.startswith("--")]
    return out


def provided(path: str, bundles: set[str]) -> bool:
    """True when `path` exists in a fresh clone after `lab setup` made `bundles`."""
    path = path.rstrip("/").removeprefix("./")
    if path.startswith(JARS + "/"):
        return path.split("/")[2] in bundles
    return path in tracked() or any(f.startswith(path + "/") for f in tracked())


def replay(cmds: list[list[str]]) -> list[str]:
    """Problems of a command sequence: an image built before what it copies was made."""
    bundles: set[str] = set()
    problems = []
    for argv in cmds:
        args = argv[1:] if argv[0].endswith("lab") else argv[3:] if argv[1:3] == ["-m", "lab"] else None
        if args is None:
            continue
        args = (
            [a for a in args if not a.startswith("--target") and a not in ("kind", "local")]
            if args[:1] == ["--target"]
            else args
        )
        if args[:1] == ["setup"]:
            bundles |= {args[args.index("--only") + 1]} if "--only" in args else set(artifacts.BUNDLES)
        elif args[:2] == ["kind", "build"]:
            for image in kind.images_to_build([a for a in args[2:] if not a.startswith("-")]):
                missing = [p for p in copy_sources(kind.IMAGES[image]) if not provided(p, bundles)]
                if missing:
                    problems.append(f"`{' '.join(argv)}` builds {image}, but {missing} do not exist by then")
    return problems


def workflow_commands(name: str) -> list[list[str]]:
    wf = load(REPO / ".github" / "workflows" / name)
    return [argv for job in wf["jobs"].values() for _, script in run_scripts(job) for argv in commands(script)]


def quickstart_commands() -> list[list[str]]:
    """The bash blocks of k8s/README.md, in order (what a learner types)."""
    blocks = re.findall(r"```bash\n(.*?)```", (REPO / "k8s" / "README.md").read_text(), flags=re.DOTALL)
    return [argv for block in blocks for argv in commands(block)]


@pytest.mark.parametrize("source", ["kind.yml", "k8s/README.md"])
def test_every_image_built_finds_what_it_copies(source):
    cmds = quickstart_commands() if source.endswith(".md") else workflow_commands(source)
    assert any(a[-2:] == ["kind", "build"] or "build" in a for a in cmds), f"{source} builds no image"
    assert replay(cmds) == []


def test_the_default_build_builds_what_the_default_overlay_deploys():
    ours = {
        c["image"]
        for d in kind.render("kind")
        for spec in [((d.get("spec") or {}).get("template") or {}).get("spec") or {}]
        for c in spec.get("containers", []) + spec.get("initContainers", [])
        if c["image"] in kind.IMAGES
    }
    assert set(kind.images_to_build()) == ours == set(kind.DEFAULT_IMAGES)


def test_the_contract_catches_b1():
    """The old kind.yml: `lab setup --only spark` then `lab kind build` of every image (the Connect image copies
    .lab/jars/iceberg, which only `lab setup --only iceberg` makes)."""
    old = [["lab", "setup", "--only", "spark"], ["lab", "kind", "build", "producer", "spark", "connect"]]
    (problem,) = replay(old)
    assert config.CONNECT_IMAGE in problem and ".lab/jars/iceberg/" in problem
    assert replay([["lab", "setup", "--only", "iceberg"], *old[1:]]) == [
        f"`lab kind build producer spark connect` builds {config.SPARK_IMAGE}, but ['.lab/jars/spark'] do not exist by then"
    ]
    assert replay([["lab", "setup"], old[1]]) == []
