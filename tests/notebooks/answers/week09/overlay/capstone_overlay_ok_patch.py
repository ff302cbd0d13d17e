"""Right, written differently: strategic merge patches that add one key to each ConfigMap (no generator)."""

import yaml
from _overlay import DDL, kind_overlay, rules, write

EXERCISE = "overlay"
EXPECT = "✅"
KEYWORDS = ("005_zone_durations.cql", "('zone_id', 'day') + ('window_start',)", "API server took")
CLUSTER = True


def write_capstone_overlay(folder):
    def patch(name, key, text):
        return {"patch": yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
                                         "data": {key: text}})}  # fmt: skip

    kustomization = {
        "resources": [kind_overlay(folder)],
        "patches": [
            patch("cassandra-cql", "005_zone_durations.cql", DDL),
            patch(
                "prometheus-rules", "capstone.yml", rules('absent(lab_spark_query_active{query="zone_durations"} == 1)')
            ),
        ],
    }
    write(folder, kustomization, {})
