"""The Kubernetes control plane on loopback (lab.services.controlplane) without its binaries: how it fails (missing
binaries, a component that exits at once: fake scripts) and its ports (the real thing: tests/k8s/test_controlplane.py)."""

from __future__ import annotations

import stat
import time

import pytest

from lab import config
from lab.errors import LabError, ServiceStartError
from lab.services import controlplane


@pytest.fixture
def other_home(tmp_path, monkeypatch):
    """An empty LAB_HOME on a port offset no one uses, so nothing touches the session's control plane."""
    monkeypatch.setenv("LAB_HOME", str(tmp_path / "lab"))
    monkeypatch.setenv("LAB_PORT_OFFSET", "3717")
    return tmp_path


def test_missing_binaries_say_how_to_get_them(other_home, monkeypatch):
    empty = other_home / "bin"
    empty.mkdir()
    monkeypatch.setenv("LAB_K8S_BIN", str(empty))
    with pytest.raises(LabError, match="LAB_K8S_BIN") as err:
        controlplane.bin_dir()
    assert "kube-apiserver" in str(err.value) and "kwokctl --runtime binary" in str(err.value)


def test_a_failing_component_is_named_with_why_and_its_log(other_home, monkeypatch):
    """etcd that exits at once: the start stops there, naming etcd, its exit code and the end of its log."""
    bins = other_home / "bin"
    bins.mkdir()
    for name in controlplane.BINARIES:
        script = bins / name
        script.write_text(f"#!/bin/sh\necho '{name}: cannot open data dir (permission denied)'\nexit 3\n")
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("LAB_K8S_BIN", str(bins))
    t0 = time.monotonic()
    with pytest.raises(ServiceStartError) as err:
        controlplane.start(timeout=30)
    assert time.monotonic() - t0 < 20, "a dead process must stop the wait at once, not at the timeout"
    text = str(err.value)
    assert "k8s etcd" in text and "exited with code 3" in text and "permission denied" in text
    assert not controlplane.running()


def test_the_ports_follow_the_offset(monkeypatch):
    monkeypatch.setenv("LAB_PORT_OFFSET", "100")
    assert config.control_plane_ports().api == config.ControlPlanePorts().api + 100
