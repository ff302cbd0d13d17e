"""The Prometheus rule files and config template are valid, and the alert expressions behave (promtool unit tests)."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import asdict
from pathlib import Path
from string import Template

import yaml

from lab import config

PROM = config.REPO_ROOT / "lab" / "resources" / "prometheus"
RULES = sorted((PROM / "rules").glob("*.yml"))
ALERTS = {"PipelineStalled", "SparkLagHigh", "DLQRateHigh", "FareAnomaly", "LateTripsDropped"}


def _promtool() -> str:
    tool = shutil.which("promtool")
    assert tool, "promtool not found: install Debian's `prometheus` package (make prereqs)"
    return tool


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([_promtool(), *args], capture_output=True, text=True, timeout=120)


def test_rule_files_pass_promtool_check():
    out = _run("check", "rules", *map(str, RULES))
    assert out.returncode == 0, out.stdout + out.stderr


def test_every_documented_alert_exists_with_for_and_summary():
    found = {}
    for path in RULES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    found[rule["alert"]] = rule
    assert set(found) == ALERTS
    for name, rule in found.items():
        assert rule.get("for"), f"{name} has no `for:`"
        assert rule["annotations"].get("summary"), f"{name} has no summary"
        assert rule["labels"].get("severity") in {"warning", "critical"}


def test_alert_expressions_pass_promtool_unit_tests():
    out = _run("test", "rules", str(Path(__file__).resolve().parent / "prometheus" / "alerts_test.yml"))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "SUCCESS" in out.stdout


def test_config_template_renders_to_a_valid_prometheus_config(tmp_path: Path):
    text = Template((PROM / "prometheus.yml.tmpl").read_text()).substitute(
        **asdict(config.ports()),
        scrape_interval="2s",
        scrape_timeout="2s",
        evaluation_interval="2s",
        rules_dir=str(PROM / "rules"),
    )
    cfg = tmp_path / "prometheus.yml"
    cfg.write_text(text)
    out = _run("check", "config", str(cfg))
    assert out.returncode == 0, out.stdout + out.stderr
    jobs = {job["job_name"] for job in yaml.safe_load(text)["scrape_configs"]}
    assert {"kafka", "cassandra", "schema-registry", "spark", "producer"} <= jobs
