"""What a learner who solved steps 3 and 6 ships: the DDL of kappa.zone_durations_v1 and the rule file of the alert."""

import os
from pathlib import Path

import yaml

import lab

DDL = """CREATE TABLE IF NOT EXISTS kappa.zone_durations_v1 (
  zone_id int, day date, window_start timestamp, window_end timestamp,
  trips bigint, duration_total_s bigint, duration_avg_s double, written_at timestamp,
  PRIMARY KEY ((zone_id, day), window_start)
) WITH CLUSTERING ORDER BY (window_start DESC);
"""
EXPR = (
    'max(lab_spark_query_active{query="zone_durations"}) == 0 or absent(lab_spark_query_active{query="zone_durations"})'
)


def rules(expr: str = EXPR, alert: str = "ZoneDurationsJobDown") -> str:
    rule = {"alert": alert, "expr": expr, "for": "30s", "labels": {"severity": "page"}}
    return yaml.safe_dump({"groups": [{"name": "capstone", "rules": [rule]}]})


def kind_overlay(folder: Path) -> str:
    """The kind overlay's folder, relative to `folder` (kustomize refuses absolute paths)."""
    return os.path.relpath(lab.kind.overlay_dir("kind"), folder)


def write(folder: Path, kustomization: dict, files: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    (folder / "kustomization.yaml").write_text(yaml.safe_dump(kustomization, sort_keys=False))


def generators(folder: Path, cql: str = "005_zone_durations.cql", rule_file: str = "capstone.yml",
               behavior: str = "merge") -> dict:  # fmt: skip
    """A kustomization: the kind overlay, the two ConfigMaps extended by configMapGenerator."""
    return {
        "resources": [kind_overlay(folder)],
        "configMapGenerator": [
            {"name": "cassandra-cql", "behavior": behavior, "files": [cql]},
            {"name": "prometheus-rules", "behavior": behavior, "files": [rule_file]},
        ],
    }
