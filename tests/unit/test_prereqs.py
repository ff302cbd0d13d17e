""".ci/prereqs in a sandbox: fake apt-get, systemctl, service and pkill that record what the script asks of them."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from lab import config

SCRIPT = config.REPO_ROOT / ".ci" / "prereqs"
REAL_TOOLS = ("sed", "grep", "head", "awk", "chmod", "rm", "cat", "touch", "mkdir")

FAKES = {
    "id": "echo 0",
    "java": "echo 'openjdk version \"17.0.15\" 2025-04-15' >&2",
    "mvn": 'echo "Apache Maven 3.8.7"',
    "kubectl": 'echo "Client Version: v1.32.4"; echo "Kustomize Version: v5.5.0"',
    "pkill": 'echo "pkill $*" >>"$CALLS"',
    "killall": 'echo "killall $*" >>"$CALLS"',
    # apt-get install: note what policy-rc.d answers now, "install" prometheus, start the units a careless package would
    "apt-get": """echo "apt-get $*" >>"$CALLS"
if [ "$1" = install ]; then
  p="$LAB_PREREQS_ROOT/usr/sbin/policy-rc.d"
  if [ -x "$p" ]; then "$p" prometheus start; echo "policy-rc.d answered $? during install" >>"$CALLS"
  else echo "no policy-rc.d during install" >>"$CALLS"; fi
  printf '#!/bin/sh\\necho "prometheus, version 2.42.0"\\n' >"$SANDBOX_BIN/prometheus"
  chmod 755 "$SANDBOX_BIN/prometheus"
  for u in $STARTS_ON_INSTALL; do touch "$STATE/$u"; done
fi""",
    "systemctl": """echo "systemctl $*" >>"$CALLS"
case "$1" in
  is-active) test -e "$STATE/$3" ;;
  stop) shift; for u in "$@"; do rm -f "$STATE/$u"; done ;;
esac""",
    "service": """echo "service $*" >>"$CALLS"
case "$2" in
  status) test -e "$STATE/$1" ;;
  stop) rm -f "$STATE/$1" ;;
esac""",
}


def _sandbox(tmp: Path, systemd: bool, active: tuple[str, ...], starts: tuple[str, ...], policy: str | None) -> dict:
    root, bin_, state, jdk = tmp / "root", tmp / "bin", tmp / "state", tmp / "jdk21" / "bin"
    for d in (root / "usr" / "sbin", bin_, state, jdk):
        d.mkdir(parents=True)
    if systemd:
        (root / "run" / "systemd" / "system").mkdir(parents=True)
    if policy is not None:
        (root / "usr" / "sbin" / "policy-rc.d").write_text(policy)
        (root / "usr" / "sbin" / "policy-rc.d").chmod(0o755)
    for unit in active:
        (state / unit).touch()
    for name, body in FAKES.items():
        (bin_ / name).write_text(f"#!/bin/sh\n{body}\n")
    (jdk / "java").write_text("#!/bin/sh\necho 'openjdk version \"21.0.8\" 2025-07-15' >&2\n")
    for f in [*bin_.iterdir(), jdk / "java"]:
        f.chmod(f.stat().st_mode | stat.S_IEXEC)
    for tool in REAL_TOOLS:
        os.symlink(shutil.which(tool), bin_ / tool)
    return {
        "PATH": str(bin_),
        "LAB_PREREQS_ROOT": str(root),
        "SANDBOX_BIN": str(bin_),
        "STATE": str(state),
        "CALLS": str(tmp / "calls.log"),
        "STARTS_ON_INSTALL": " ".join(starts),
        "LAB_REGISTRY_JAVA_HOME": str(jdk.parent),
        "HOME": str(tmp),
    }


def _run(tmp: Path, **kw) -> tuple[subprocess.CompletedProcess, list[str], set[str]]:
    env = _sandbox(tmp, **kw)
    done = subprocess.run(["/bin/bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)
    calls = Path(env["CALLS"]).read_text().splitlines() if Path(env["CALLS"]).exists() else []
    return done, calls, {p.name for p in Path(env["STATE"]).iterdir()}


@pytest.mark.parametrize("systemd", [True, False], ids=["systemd", "sysv"])
def test_only_the_units_this_install_started_are_stopped(tmp_path, systemd):
    """Someone's Prometheus runs before; the package starts its node exporter anyway: only that one stops."""
    done, calls, running = _run(
        tmp_path, systemd=systemd, active=("prometheus",), starts=("prometheus-node-exporter",), policy=None
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert any(c.startswith("apt-get install") and " prometheus" in c for c in calls), calls
    assert "policy-rc.d answered 101 during install" in calls, "services must be kept from starting"
    assert not (tmp_path / "root" / "usr" / "sbin" / "policy-rc.d").exists(), "our policy-rc.d is removed after"
    assert not [c for c in calls if c.startswith(("pkill", "killall"))], calls
    stops = [c for c in calls if "stop" in c.split()]
    want = "systemctl stop prometheus-node-exporter" if systemd else "service prometheus-node-exporter stop"
    assert stops == [want], calls
    assert running == {"prometheus"}, "the Prometheus that ran before still runs"


def test_nothing_is_stopped_when_the_install_started_nothing(tmp_path):
    done, calls, running = _run(
        tmp_path, systemd=True, active=("prometheus", "prometheus-node-exporter"), starts=(), policy=None
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert not [c for c in calls if c.startswith(("pkill", "killall")) or "stop" in c.split()], calls
    assert running == {"prometheus", "prometheus-node-exporter"}


def test_a_policy_rc_d_already_there_is_left_as_it_was(tmp_path):
    theirs = "#!/bin/sh\n# the image's own\nexit 101\n"
    done, calls, _ = _run(tmp_path, systemd=False, active=(), starts=(), policy=theirs)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "policy-rc.d answered 101 during install" in calls
    assert (tmp_path / "root" / "usr" / "sbin" / "policy-rc.d").read_text() == theirs
