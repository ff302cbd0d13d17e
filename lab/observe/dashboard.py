"""Grafana dashboards without Grafana: run each panel's own query (CQL or PromQL) from grafana/*.json and draw it with plotly."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lab import config
from lab.errors import LabError
from lab.observe import promql, transforms
from lab.observe.charts import figure
from lab.pipeline import tables
from lab.services import prometheus

GRAFANA_DIR = config.REPO_ROOT / "grafana"
CASSANDRA_PLUGIN = config.CASSANDRA_PLUGIN
MONTH_S = 30 * 86400  # Grafana's "M" (Prometheus has no month)
_VAR = re.compile(r"\$\{(\w+)(?::(\w+))?\}|\$(\w+)")


def names() -> list[str]:
    """The dashboards in grafana/ (file stems)."""
    return sorted(p.stem for p in GRAFANA_DIR.glob("*.json"))


def load(name: str) -> dict:
    """One dashboard's JSON ("trips" or "pipeline")."""
    path = GRAFANA_DIR / f"{name}.json"
    if not path.exists():
        raise LabError(f"no dashboard {name!r} in {GRAFANA_DIR}: choose one of {', '.join(names())}")
    return json.loads(path.read_text())


def panels(dash: dict) -> list[dict]:
    """Every panel, with the panels of collapsed rows flattened in."""
    out = []
    for p in dash.get("panels", []):
        out.extend(p.get("panels", []) if p.get("type") == "row" else [p])
    return out


def kind(panel_or_target: dict) -> str:
    """'cql' or 'promql', from the datasource variable a panel or target refers to."""
    ds = panel_or_target.get("datasource") or {}
    return "cql" if ds.get("type") == CASSANDRA_PLUGIN or "CASSANDRA" in str(ds.get("uid", "")) else "promql"


def parse_time(text: str, now: float | None = None) -> float:
    """Grafana's relative times ("now", "now-15m", "now-10y") or an ISO date, as epoch seconds."""
    now = time.time() if now is None else now
    m = re.fullmatch(r"now(?:-(\d+)([smhdwMy]))?", text.strip())
    if m:
        if not m.group(1):
            return now
        n, unit = int(m.group(1)), m.group(2)
        return now - (n * MONTH_S if unit == "M" else prometheus.seconds(f"{n}{unit}"))
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@dataclass
class Context:
    """What a panel query needs: variable values, time range (epoch s) and the PromQL step."""

    values: dict[str, list[str]]
    start: float
    end: float
    step: float
    scrape: float = 5.0

    def interpolate(self, text: str) -> str:
        """Substitute Grafana macros and variables the way Grafana and the Cassandra plugin do."""
        ms = {
            "__timeFrom": str(int(self.start * 1000)),
            "__timeTo": str(int(self.end * 1000)),
            "__from": str(int(self.start * 1000)),
            "__to": str(int(self.end * 1000)),
            "__interval": f"{int(self.step)}s",
            "__range": f"{int(self.end - self.start)}s",
            "__rate_interval": f"{int(max(self.step + self.scrape, 4 * self.scrape))}s",
        }

        def sub(m: re.Match) -> str:
            name, fmt = m.group(1) or m.group(3), m.group(2)
            if name in ms:
                return ms[name]
            if name not in self.values:
                return m.group(0)
            vals = self.values[name]
            if not vals:
                raise LabError(f"variable ${name} has no values yet (no data in its table?)")
            if fmt in ("singlequote", "sqlstring"):
                return ",".join("'" + v.replace("'", "''") + "'" for v in vals)
            return vals[0] if len(vals) == 1 else "{" + ",".join(vals) + "}"

        return _VAR.sub(sub, text)


@dataclass
class PanelResult:
    """One panel's data after its query and transformations, or the error that stopped it."""

    panel: dict
    data: object = None  # pandas DataFrame
    error: str = ""
    queries: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.panel.get("title", "?")

    @property
    def empty(self) -> bool:
        return self.data is None or len(self.data) == 0


def context(dash: dict, start: str | None = None, end: str | None = None, **variables) -> Context:
    """Resolve the dashboard's variables (query variables run their CQL) and time range.

    A `windows_table` variable takes lab.config.windows_table() (env LAB_WINDOWS_TABLE) unless given.
    """
    t0 = parse_time(start or dash.get("time", {}).get("from", "now-1h"))
    t1 = parse_time(end or dash.get("time", {}).get("to", "now"))
    ctx = Context({}, t0, t1, step=max(2.0, round((t1 - t0) / 240)), scrape=promql.scrape_interval())
    for var in dash.get("templating", {}).get("list", []):
        name = var["name"]
        if name == "windows_table" and name not in variables:  # the lab's one reader setting decides the version
            variables = {**variables, name: config.windows_table()}
        if name in variables:
            v = variables[name]
            ctx.values[name] = [str(x) for x in v] if isinstance(v, (list, tuple)) else [str(v)]
        elif var["type"] == "datasource":
            ctx.values[name] = [var.get("current", {}).get("value", var["query"])]
        elif var["type"] == "custom":
            ctx.values[name] = [str(var.get("current", {}).get("value", var["query"].split(",")[0]))]
        elif var["type"] == "query":
            current = var.get("current", {}).get("value")
            options = _cql_values(ctx.interpolate(var["query"]))
            chosen = (
                options if current in (["$__all"], "$__all", None) else [c for c in _listify(current) if c in options]
            )
            ctx.values[name] = chosen
    return ctx


def run_panel(panel: dict, ctx: Context):
    """Run every target of a panel and apply its transformations; returns a PanelResult (never raises LabError)."""
    import pandas as pd

    res = PanelResult(panel)
    try:
        res.panel = {**panel, "title": ctx.interpolate(panel.get("title", ""))}
    except LabError:
        pass
    frames = []
    try:
        for t in panel.get("targets", []):
            if t.get("hide"):
                continue
            if kind(t if t.get("datasource") else panel) == "cql":
                q = ctx.interpolate(t["target"])
                res.queries.append(q)
                frames.append(_cql_frame(q, t.get("alias", ""), panel["type"] in ("timeseries", "stat")))
            else:
                q = ctx.interpolate(t["expr"])
                res.queries.append(q)
                frames.append(
                    promql.frame(
                        q, t.get("legendFormat", ""), ctx.start, ctx.end, ctx.step, instant=t.get("instant", False)
                    )
                )
        frames = [f for f in frames if len(f)]
        data = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

        res.data = transforms.apply(data, panel.get("transformations", []), ctx)
    except Exception as exc:  # noqa: BLE001 - a broken panel is reported, the others still render
        res.error = f"{type(exc).__name__}: {exc}"
    return res


def run(name: str, start: str | None = None, end: str | None = None, **variables) -> list[PanelResult]:
    """Run every panel of dashboard `name` once."""
    dash = load(name)
    ctx = context(dash, start, end, **variables)
    return [run_panel(p, ctx) for p in panels(dash)]


def describe(name: str):
    """One row per panel: title, chart type, datasource kind and the raw query (a DataFrame to read)."""
    import pandas as pd

    rows = [
        {
            "panel": p["title"],
            "type": p["type"],
            "source": kind(p),
            "query": " | ".join(t.get("target") or t.get("expr", "") for t in p["targets"]),
            "what it shows": p.get("description", ""),
        }
        for p in panels(load(name))
    ]
    return pd.DataFrame(rows)


def problems(name: str, **kwargs) -> list[str]:
    """One line per panel that is broken or returned no data (empty list = every panel has data)."""
    out = []
    for r in run(name, **kwargs):
        if r.error:
            out.append(f"{name} / {r.title}: {r.error}")
        elif r.empty:
            out.append(f"{name} / {r.title}: no data from {r.queries}")
    return out


def show(name: str, refreshes: int = 1, every_s: float = 10.0, **kwargs) -> list[PanelResult]:
    """Draw every panel in the notebook; redraw `refreshes` times, `every_s` apart (a bounded live view)."""
    from IPython.display import clear_output, display

    results: list[PanelResult] = []
    for i in range(max(1, refreshes)):
        if i:
            time.sleep(every_s)
            clear_output(wait=True)
        results = run(name, **kwargs)
        print(f"{load(name)['title']}: refresh {i + 1}/{refreshes} at {datetime.now(UTC):%H:%M:%S} UTC")
        for r in results:
            display(figure(r))
    return results


# -- datasources -----------------------------------------------------------------------------------
def _cql_values(cql: str) -> list[str]:
    rows = _cassandra().execute(cql, timeout=30)
    return sorted({str(r[0]) for r in rows})


def _cql_frame(cql: str, alias: str, long: bool):
    """Rows of a raw CQL query. For time series, the plugin's shape: first column = series id,
    the numeric columns = values, the timestamp column = time; returned long (time, series, value)."""
    import pandas as pd

    rows = list(_cassandra().execute(cql, timeout=60))
    df = pd.DataFrame([r._asdict() for r in rows])
    if not long or df.empty:
        return df
    tcol = next(
        (c for c in df.columns if pd.api.types.is_datetime64_any_dtype(df[c]) or isinstance(df[c].iloc[0], datetime)),
        None,
    )
    if tcol is None:
        raise LabError("a time-series CQL query must return a timestamp column")
    idcol = df.columns[0]
    out = []
    for col in [c for c in df.columns[1:] if c != tcol and pd.api.types.is_numeric_dtype(df[c])]:
        series = df.apply(lambda r: promql.legend(alias, r.to_dict()) or f"{r[idcol]}", axis=1)
        out.append(pd.DataFrame({"time": pd.to_datetime(df[tcol]), "series": series, "value": df[col].astype(float)}))
    return pd.concat(out, ignore_index=True).sort_values("time") if out else pd.DataFrame()


def _listify(v) -> list[str]:
    return [str(x) for x in v] if isinstance(v, (list, tuple)) else [str(v)]


def _cassandra():
    return tables.connect()
