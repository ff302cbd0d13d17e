"""JVM artifacts and tool checks, without Maven, the network or services."""

from __future__ import annotations

import stat
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from lab import config
from lab.errors import ToolMissing
from lab.services import artifacts, schema_registry

POM = "{http://maven.apache.org/POM/4.0.0}"


def _fake_java(folder: Path, version_text: str) -> Path:
    """A fake JDK whose bin/java prints `version_text` to stderr, like `java -version` does."""
    java = folder / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text(f"#!/bin/sh\necho '{version_text}' >&2\n")
    java.chmod(java.stat().st_mode | stat.S_IEXEC)
    return java


def _deps(bundle: artifacts.Bundle) -> list[dict]:
    root = ET.fromstring(artifacts._pom(bundle))
    return [{child.tag.replace(POM, ""): (child.text or "") for child in dep} for dep in root.iter(f"{POM}dependency")]


def test_pom_lists_every_coordinate_with_type_and_classifier():
    bundle = artifacts.Bundle("demo", ("g.one:a-one:1.0", "g.two:a-two:2.0:tar.gz:all"))
    deps = _deps(bundle)
    coords = [(d["groupId"], d["artifactId"], d["version"]) for d in deps]
    assert coords == [("g.one", "a-one", "1.0"), ("g.two", "a-two", "2.0")]
    assert "type" not in deps[0] and deps[1]["type"] == "tar.gz" and deps[1]["classifier"] == "all"
    assert "exclusions" not in deps[0]


def test_pom_excludes_transitive_dependencies_when_asked():
    xml = artifacts._pom(artifacts.Bundle("agents", ("io.x:agent:1.0",), transitive=False))
    exclusion = ET.fromstring(xml).find(f".//{POM}exclusion")
    assert exclusion is not None
    assert exclusion.find(f"{POM}groupId").text == "*" and exclusion.find(f"{POM}artifactId").text == "*"


def test_pinned_bundles_carry_the_config_versions():
    coords = {name: " ".join(b.coordinates) for name, b in artifacts.BUNDLES.items()}
    assert f"kafka_{config.SCALA_KAFKA}:{config.KAFKA_VERSION}" in coords["kafka"]
    assert f"cassandra-all:{config.CASSANDRA_VERSION}" in coords["cassandra"]
    assert f"apicurio-registry-app:{config.APICURIO_VERSION}:tar.gz:all" in coords["apicurio"]
    assert artifacts.BUNDLES["apicurio"].unpack and not artifacts.BUNDLES["agents"].transitive


@pytest.mark.parametrize(
    "text, major",
    [
        ('openjdk version "17.0.15" 2025-04-15', 17),
        ('openjdk version "25.0.3" 2026-04-21 LTS', 25),
        ('java version "1.8.0_292"', 8),
        ('openjdk version "21" 2023-09-19', 21),
    ],
)
def test_java_major_parses_the_version_banner(tmp_path, text, major):
    assert artifacts.java_major(str(_fake_java(tmp_path, text))) == major


def test_java_major_rejects_an_unreadable_banner(tmp_path):
    with pytest.raises(ToolMissing, match="cannot read the version"):
        artifacts.java_major(str(_fake_java(tmp_path, "this is not java")))


def test_missing_java_says_how_to_fix_it(monkeypatch):
    monkeypatch.setenv("LAB_JAVA_HOME", "/nonexistent")
    with pytest.raises(ToolMissing) as err:
        artifacts.java_bin()
    assert err.value.tool == "java"
    assert "/nonexistent" in err.value.problem
    assert "JDK 17" in err.value.fix and "LAB_JAVA_HOME" in err.value.fix


def test_wrong_java_version_is_refused(tmp_path, monkeypatch):
    _fake_java(tmp_path / "jdk11", 'openjdk version "11.0.2" 2019-01-15')
    monkeypatch.setenv("LAB_JAVA_HOME", str(tmp_path / "jdk11"))
    with pytest.raises(ToolMissing, match="Java 11"):
        artifacts.java_bin()


def test_registry_java_must_be_21_or_newer(tmp_path, monkeypatch):
    _fake_java(tmp_path / "jdk17", 'openjdk version "17.0.15" 2025-04-15')
    monkeypatch.setenv("LAB_REGISTRY_JAVA_HOME", str(tmp_path / "jdk17"))
    with pytest.raises(ToolMissing) as err:
        schema_registry.java_bin()
    assert "Java 21+" in str(err.value) and "LAB_REGISTRY_JAVA_HOME" in err.value.fix
    _fake_java(tmp_path / "jdk21", 'openjdk version "21.0.5" 2024-10-15')
    monkeypatch.setenv("LAB_REGISTRY_JAVA_HOME", str(tmp_path / "jdk21"))
    assert schema_registry.java_bin() == str(tmp_path / "jdk21" / "bin" / "java")


def test_missing_maven_raises_tool_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolMissing) as err:
        artifacts.mvn_bin()
    assert err.value.tool == "mvn" and "apt-get install maven" in err.value.fix


def test_a_resolved_bundle_is_not_resolved_again(tmp_path, monkeypatch):
    monkeypatch.setenv("LAB_JARS", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))  # no mvn: a cache hit must not need it
    bundle = artifacts.BUNDLES["agents"]
    bundle.folder.mkdir(parents=True)
    (bundle.folder / ".resolved").write_text(bundle.fingerprint())
    assert artifacts.resolve("agents") == tmp_path / "agents"
    (bundle.folder / ".resolved").write_text("stale")
    with pytest.raises(ToolMissing):  # a changed pin means Maven has to run again
        artifacts.resolve("agents")
