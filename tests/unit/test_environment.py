"""The conda and pip routes install the same pinned packages, and the versions agree with lab.config."""

from __future__ import annotations

import tomllib

import yaml

from lab import config


def _pyproject():
    return tomllib.loads((config.REPO_ROOT / "pyproject.toml").read_text())


def test_environment_yml_matches_pyproject():
    """Fails when environment.yml and pyproject.toml pin different packages or versions."""
    project = _pyproject()["project"]
    pip = set(project["dependencies"]) | set(project["optional-dependencies"]["dev"])
    env = yaml.safe_load((config.REPO_ROOT / "environment.yml").read_text())
    conda_pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    assert set(conda_pip) == pip
    assert "python=3.11" in env["dependencies"] and "openjdk=17" in env["dependencies"]


def test_every_dependency_is_pinned():
    """Fails when a package floats (no ==)."""
    project = _pyproject()["project"]
    loose = [d for d in project["dependencies"] + project["optional-dependencies"]["dev"] if "==" not in d]
    assert not loose, loose


def test_pyspark_matches_spark_version():
    """Fails when the pyspark wheel and the Spark connector jars differ in version."""
    pins = {d.split("==")[0]: d.split("==")[1] for d in _pyproject()["project"]["dependencies"]}
    assert pins["pyspark"] == config.SPARK_VERSION


def test_kubectl_is_needed_on_both_targets(monkeypatch):
    """Fails when a machine without kubectl (or with one too old to render k8s/) passes the local check: week 08
    renders the manifests with `kubectl kustomize` on the local target too."""
    from lab.services import environment

    for found in (None, "1.20.2"):  # missing; Debian 12's kubernetes-client
        monkeypatch.setattr(
            environment, "_version", lambda argv, pattern, found=found: found if argv[0] == "kubectl" else "17.0.15"
        )
        for target in config.TARGETS:
            kubectl = next(t for t in environment.tools(target) if t.name == "kubectl")
            assert not kubectl.ok and config.KUBECTL_MIN in kubectl.fix, (found, target)
    monkeypatch.setattr(environment, "_version", lambda argv, pattern: "1.32.4")
    assert next(t for t in environment.tools("local") if t.name == "kubectl").ok
