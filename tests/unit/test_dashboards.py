"""Dashboards as code: static checks of grafana/*.json, and every panel query run against the real pipeline."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from lab import config
from lab.observe import dashboard, transforms

GRAFANA = config.REPO_ROOT / "grafana"
DASHBOARDS = sorted(GRAFANA.glob("*.json"))
DS_VARS = {"${DS_PROMETHEUS}": "prometheus", "${DS_CASSANDRA}": config.CASSANDRA_PLUGIN}
CHART_TYPES = {"timeseries", "stat", "table", "barchart"}


def _walk(node, path=""):
    if isinstance(node, dict):
        for k, v in node.items():
            yield f"{path}.{k}", k, v
            yield from _walk(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, f"{path}[{i}]")


def _tables() -> dict[str, set[str]]:
    """Columns of every kappa table, from the CQL files."""
    text = "\n".join(p.read_text() for p in sorted((config.REPO_ROOT / "lab" / "cql").glob("*.cql")))
    text = re.sub(r"--.*", "", text)
    out = {}
    for m in re.finditer(r"CREATE TABLE IF NOT EXISTS kappa\.(\w+)\s*\((.*?)PRIMARY KEY", text, re.S):
        out[m.group(1)] = {line.split()[0] for line in m.group(2).split(",") if line.strip()}
    return out


@pytest.fixture(params=DASHBOARDS, ids=[p.stem for p in DASHBOARDS])
def dash(request) -> dict:
    return json.loads(request.param.read_text())


def test_there_are_the_two_dashboards():
    assert {p.stem for p in DASHBOARDS} == {"trips", "pipeline"}


def test_stable_unique_uids():
    uids = [json.loads(p.read_text())["uid"] for p in DASHBOARDS]
    assert len(set(uids)) == len(uids)
    assert all(re.fullmatch(r"kappa-[a-z-]+", u) for u in uids), uids


def test_datasources_are_variables_never_numeric_ids(dash):
    assert dash.get("id") is None, "a provisioned dashboard carries no numeric id"
    for path, key, value in _walk(dash):
        assert key not in ("datasourceId", "datasourceUid"), f"{path}: numeric/hard-coded datasource reference"
        if key == "datasource":
            assert isinstance(value, dict), f"{path}: datasource must be {{type, uid}}, not {value!r}"
            assert value.get("uid") in DS_VARS, f"{path}: uid {value.get('uid')!r} is not a datasource variable"
            assert value.get("type") == DS_VARS[value["uid"]], f"{path}: type {value.get('type')} vs {value['uid']}"


def test_datasource_variables_are_declared_and_provisioned(dash):
    used = {m for m in re.findall(r"\$\{DS_\w+\}", json.dumps(dash))}
    declared = {f"${{{v['name']}}}": v for v in dash["templating"]["list"] if v["type"] == "datasource"}
    assert used <= set(declared), f"undeclared datasource variables: {used - set(declared)}"
    provisioned = {}
    for f in (GRAFANA / "provisioning" / "datasources").glob("*.yaml"):
        for ds in yaml.safe_load(f.read_text())["datasources"]:
            provisioned[ds["uid"]] = ds["type"]
    for name, var in declared.items():
        assert var["query"] == DS_VARS[name]
        default = var["current"]["value"]
        assert provisioned.get(default) == var["query"], (
            f"{name} defaults to {default!r}, not a provisioned {var['query']}"
        )


def test_panels_use_supported_types_and_transformations(dash):
    for p in dashboard.panels(dash):
        assert p["type"] in CHART_TYPES, f"{p['title']}: lab.charts cannot draw {p['type']}"
        assert p.get("targets"), f"{p['title']}: no query"
        for t in p.get("transformations", []):
            assert t["id"] in transforms._STEPS, f"{p['title']}: transformation {t['id']} unsupported"
    ids = [p["id"] for p in dashboard.panels(dash)]
    assert len(ids) == len(set(ids))


def test_cql_targets_read_existing_tables_and_columns(dash):
    tables = _tables()
    for p in dashboard.panels(dash):
        for t in p["targets"]:
            if dashboard.kind(t) != "cql":
                continue
            assert t["rawQuery"] is True and t["queryType"] == "query"
            for version in config.WINDOWS_TABLES:  # the zone panel reads the version the variable names
                target = t["target"].replace("${windows_table}", version)
                m = re.fullmatch(r"SELECT (.+?) FROM kappa\.(\w+) WHERE (.+)", target)
                assert m, f"{p['title']}: not a SELECT … FROM kappa.<table> WHERE …: {target}"
                cols, table, where = m.group(1), m.group(2), m.group(3)
                assert table in tables, f"{p['title']}: no table kappa.{table}"
                for col in [c.strip() for c in cols.split(",")] + re.findall(r"(\w+) (?:IN|>=|<=|=)", where):
                    assert col in tables[table], f"{p['title']}: kappa.{table} has no column {col}"
            assert "ALLOW FILTERING" not in t["target"].upper()
            if p["type"] == "timeseries":
                assert "$__timeFrom" in t["target"] and "$__timeTo" in t["target"], p["title"]


def test_promql_targets_parse(tmp_path: Path):
    """Every PromQL expression, with Grafana's macros filled in, is accepted by promtool."""
    tool = shutil.which("promtool")
    assert tool, "promtool missing: install Debian's prometheus package"
    ctx = dashboard.Context({}, 0, 900, step=5)
    rules = []
    for path in DASHBOARDS:
        for p in dashboard.panels(json.loads(path.read_text())):
            for t in p["targets"]:
                if dashboard.kind(t) == "promql":
                    rules.append(
                        {"record": f"check:{path.stem}_{p['id']}_{t['refId']}", "expr": ctx.interpolate(t["expr"])}
                    )
    assert rules
    f = tmp_path / "panels.yml"
    f.write_text(yaml.safe_dump({"groups": [{"name": "panels", "rules": rules}]}))
    out = subprocess.run([tool, "check", "rules", str(f)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_interpolation_follows_grafana_and_the_cassandra_plugin():
    ctx = dashboard.Context(
        {"day": ["2021-01-01", "2021-01-02"], "topn": ["10"]}, 1600000000, 1600000900, step=5, scrape=2
    )
    q = "SELECT a FROM t WHERE day IN (${day:singlequote}) AND ts >= $__timeFrom AND ts <= $__timeTo LIMIT $topn"
    assert ctx.interpolate(q) == (
        "SELECT a FROM t WHERE day IN ('2021-01-01','2021-01-02') "
        "AND ts >= 1600000000000 AND ts <= 1600000900000 LIMIT 10"
    )
    assert ctx.interpolate("rate(x[$__rate_interval])") == "rate(x[8s])"
    assert dashboard.parse_time("now-15m", now=1000.0) == 100.0
    assert dashboard.parse_time("now", now=5.0) == 5.0


def test_provisioning_provider_points_at_a_folder():
    prov = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "lab.yaml").read_text())
    assert prov["providers"][0]["type"] == "file" and prov["providers"][0]["options"]["path"]
    readme = (GRAFANA / "README.md").read_text()
    for f in sorted(GRAFANA.rglob("*")):
        if f.is_file() and f.name != "README.md":
            assert str(f.relative_to(GRAFANA)) in readme, f"grafana/README.md says nothing about {f.name}"


def test_zone_panel_reads_the_windows_table_setting(monkeypatch):
    """Fails when the dashboard's zone windows version ignores LAB_WINDOWS_TABLE (the one reader setting)."""
    dash = dashboard.load("trips")
    variable = next(v for v in dash["templating"]["list"] if v["name"] == "windows_table")
    assert variable["query"].split(",") == list(config.WINDOWS_TABLES)
    assert any("kappa.${windows_table}" in t["target"] for p in dashboard.panels(dash) for t in p["targets"])
    no_queries = {**dash, "templating": {"list": [variable]}}
    monkeypatch.setattr(dashboard.promql, "scrape_interval", lambda: 5.0)
    monkeypatch.delenv(config.WINDOWS_TABLE_ENV, raising=False)
    assert dashboard.context(no_queries).values["windows_table"] == ["zone_windows"]
    monkeypatch.setenv(config.WINDOWS_TABLE_ENV, "zone_windows_v2")
    assert dashboard.context(no_queries).values["windows_table"] == ["zone_windows_v2"]
    assert dashboard.context(no_queries, windows_table="zone_windows").values["windows_table"] == ["zone_windows"]
