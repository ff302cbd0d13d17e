"""The kind review's defects B7–B13 (../shared/docs/kind-review.md), each checked on the rendered overlay; each test fails
on the code the review read (d72f38c). The real API server's side (it keeps these fields, RBAC) is in
tests/k8s/test_kube_cluster.py; B1–B6 are in test_image_builds.py and test_kube_cluster.py."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from functools import cache
from pathlib import Path

import yaml

from lab import config
from lab.deploy import kind
from lab.pipeline import tables

K8S = config.REPO_ROOT / "k8s"


@cache
def rendered() -> tuple[dict, ...]:
    return tuple(kind.render("kind"))


def obj(kind_: str, name: str) -> dict:
    return next(d for d in rendered() if d["kind"] == kind_ and d["metadata"]["name"] == name)


def pod(kind_: str, name: str) -> dict:
    return obj(kind_, name)["spec"]["template"]["spec"]


# --- B7: one set of books for the CQL files --------------------------------------------------------------------------

STUB = """#!/bin/bash
# cqlsh stand-in for the schema Job's script: remembers INSERTs into schema_versions, answers SELECTs from them
state="$STATE"; touch "$state"
for a in "$@"; do
  case "$a" in
    *"INSERT INTO kappa.schema_versions"*) v=$(sed -E 's/.*VALUES \\(([0-9]+), .*, .([0-9a-f]{16}).,.*/\\1 \\2/' <<<"$a"); echo "$v" >> "$state"; echo "insert $v" >> "$LOG";;
    *"SELECT checksum FROM kappa.schema_versions WHERE version = "*) v=${a##* }; grep "^$v " "$state" | cut -d' ' -f2;;
  esac
done
[ "${@: -2:1}" = -f ] && echo "apply $(basename "${@: -1}")" >> "$LOG"
exit 0
"""


def run_schema_job(cql: Path, tmp: Path) -> tuple[int, str, list[str]]:
    """Run the schema Job's script with a cqlsh stand-in and /cql at `cql`: (exit code, output, the stub's log)."""
    (container,) = pod("Job", "cassandra-schema")["containers"]
    script = container["args"][0].replace("/cql/", f"{cql}/").replace("sleep 5", "true")
    bin_dir = tmp / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "cqlsh").write_text(STUB)
    (bin_dir / "cqlsh").chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "STATE": str(tmp / "state"), "LOG": str(tmp / "log"),
           "LAB_USER": "lab", "LAB_PASSWORD": "x", "ADMIN_PASSWORD": "y"}  # fmt: skip
    (tmp / "log").write_text("")
    out = subprocess.run(["bash", "-ec", script], capture_output=True, text=True, env=env, timeout=60)
    return out.returncode, out.stdout + out.stderr, (tmp / "log").read_text().splitlines()


def test_b7_the_schema_job_keeps_the_same_books_as_lab_tables(tmp_path):
    cql = tmp_path / "cql"
    cql.mkdir()
    for m in tables.migrations():
        (cql / m.path.name).write_text(m.text)
    code, output, log = run_schema_job(cql, tmp_path)
    assert code == 0, output
    files = [m.path.name for m in tables.migrations()]
    assert [x for x in log if x.startswith("apply")] == [f"apply {f}" for f in files]
    # the rows lab.tables.applied() reads: the same version and checksum as lab.tables.apply() writes
    assert [x for x in log if x.startswith("insert")] == [
        f"insert {m.version} {m.checksum}" for m in tables.migrations()
    ]
    code, output, log = run_schema_job(cql, tmp_path)  # a re-run applies nothing
    assert code == 0 and not [x for x in log if x.startswith("apply")] and "already applied" in output
    (cql / files[1]).write_text((cql / files[1]).read_text() + "\n-- edited\n")
    code, output, _ = run_schema_job(cql, tmp_path)
    assert code == 1 and f"{files[1]} changed after it was applied" in output


def test_b7_checksums_agree():
    for m in tables.migrations():
        assert hashlib.sha256(m.path.read_bytes()).hexdigest()[:16] == m.checksum


# --- B8, B9: maintained versions, pins, no stale comments ------------------------------------------------------------


def test_b8_the_grafana_chart_is_a_maintained_line():
    """10.5.15 is the last of the frozen line, `deprecated: true` in the community index; 11.x is maintained."""
    assert int(config.GRAFANA_CHART_VERSION.split(".")[0]) >= 11
    values = yaml.safe_load(kind.GRAFANA_VALUES.read_text())
    assert values["image"]["tag"] == config.GRAFANA_IMAGE_TAG and config.GRAFANA_IMAGE_TAG.startswith("12.")


def test_b9_prometheus_is_a_supported_line_and_no_comment_says_localhost():
    tag = config.PROMETHEUS_IMAGE.rsplit(":", 1)[1]
    assert not tag.startswith("v2."), "Prometheus 2.53 LTS support ended 2025-07-31"
    assert pod("Deployment", "prometheus")["containers"][0]["image"] == config.PROMETHEUS_IMAGE
    stale = [
        f"{p.relative_to(K8S)}:{i}"
        for p in K8S.rglob("*.yaml")
        for i, line in enumerate(p.read_text().splitlines(), 1)
        if "#" in line and re.search(r"\blocalhost:\d", line.split("#", 1)[1])
    ]
    assert stale == [], "kind maps 127.0.0.1 only; the comments must say so"


# --- B10: Cassandra operations ------------------------------------------------------------------------------------


def test_b10_cassandra_has_a_startup_probe_and_nodetool_a_small_heap():
    (c,) = pod("StatefulSet", "cassandra")["containers"]
    start = c["startupProbe"]
    assert start["periodSeconds"] * start["failureThreshold"] >= 600  # a slow first boot is not killed
    assert c["livenessProbe"].get("initialDelaySeconds", 0) < 60  # liveness waits for the startup probe instead
    cron = obj("CronJob", "cassandra-snapshot")["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    script = cron["containers"][0]["command"][-1]
    assert re.search(r"export MAX_HEAP_SIZE=\d+m", script)
    assert script.index("MAX_HEAP_SIZE") < script.index("nodetool snapshot")


# --- B11: what pods download at run time is declared -------------------------------------------------------------


def test_b11_every_run_time_download_is_named_in_the_troubleshooting():
    text = (K8S / "README.md").read_text()
    section = text[text.index("## Troubleshooting") :]
    for what in ("zone lookup", "TLC month", "JMX", "S3Proxy", "Cassandra plugin"):
        assert what in section, f"k8s/README.md's Troubleshooting does not name {what!r} among the run-time downloads"
    for name in (("Deployment", "spark-stream"), ("Job", "producer")):
        env = {e["name"]: e for e in pod(*name)["containers"][0]["env"]}
        ref = env["LAB_TLC_BASE_URL"]["valueFrom"]["configMapKeyRef"]
        assert ref["name"] == "lab-sources" and ref["optional"] is True  # a classroom mirror, else the TLC site


# --- B12, B13 -------------------------------------------------------------------------------------------------------


def test_b12_the_registry_waits_for_kafkas_bootstrap_service():
    (init,) = pod("Deployment", "apicurio-registry")["initContainers"]
    host, port = config.KIND_SERVICES["kafka"].split(":")
    assert f"/dev/tcp/{host}/{port}" in init["command"][-1]
    assert init["image"] == config.APICURIO_IMAGE  # no extra image to pull


def test_b13_pods_that_write_volumes_run_as_their_images_user():
    def user(dockerfile: str) -> int:
        return int(re.findall(r"^USER (\d+)", (K8S / "images" / dockerfile / "Dockerfile").read_text(), re.M)[-1])

    spark = pod("Deployment", "spark-stream")["securityContext"]
    assert spark["runAsUser"] == spark["fsGroup"] == user("spark") and spark["runAsNonRoot"] is True
    assert pod("Job", "producer")["securityContext"]["runAsUser"] == user("producer")
    docs = kind.render(path=K8S / "tests" / "kind-with-kafka-scram")
    connect = next(d for d in docs if d["kind"] == "KafkaConnect")
    assert connect["spec"]["template"]["pod"]["securityContext"]["fsGroup"] == user("connect")
