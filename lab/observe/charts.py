"""plotly figures for Grafana panel types (timeseries, barchart, stat, table) from lab.dashboard results."""

from __future__ import annotations

from lab import config
from lab.errors import LabError
from lab.pipeline import tables

_CALC = {"sum": "sum", "mean": "mean", "max": "max", "min": "min", "lastNotNull": "last", "last": "last"}


def figure(result, height: int = 300):
    """The plotly figure of one PanelResult (an annotated empty figure when it failed or has no data)."""
    import plotly.graph_objects as go

    p = result.panel
    title = f"{p.get('title', '')}"
    unit = p.get("fieldConfig", {}).get("defaults", {}).get("unit", "")
    if result.error or result.empty:
        fig = go.Figure()
        fig.add_annotation(text=result.error or "no data yet", showarrow=False, font={"color": "firebrick"})
        return _layout(fig, title, height)
    df, ptype = result.data, p.get("type")
    if ptype == "timeseries" and {"time", "series", "value"} <= set(df.columns):
        fig = go.Figure(
            [
                go.Scatter(x=g["time"], y=g["value"], name=str(s), mode="lines+markers", marker={"size": 4})
                for s, g in df.groupby("series", sort=True)
            ]
        )
        fig.update_yaxes(title_text=unit)
    elif ptype == "stat":
        calc = _CALC.get((p.get("options", {}).get("reduceOptions", {}).get("calcs") or ["lastNotNull"])[0], "last")
        vals = df.sort_values("time").groupby("series")["value"].agg(calc)
        fig = go.Figure()
        n = len(vals)
        for i, (name, v) in enumerate(vals.items()):
            fig.add_trace(
                go.Indicator(
                    mode="number",
                    value=float(v),
                    title={"text": str(name)},
                    number={"valueformat": ",.0f" if abs(v) >= 100 else ",.2f"},
                    domain={"x": [i / n, (i + 1) / n], "y": [0, 1]},
                )
            )
    elif ptype == "barchart":
        x = p.get("options", {}).get("xField") or df.columns[0]
        ys = [c for c in df.columns if c != x and df[c].dtype.kind in "fiu"]
        horizontal = p.get("options", {}).get("orientation") == "horizontal"
        fig = go.Figure(
            [
                go.Bar(
                    x=df[y] if horizontal else df[x],
                    y=df[x] if horizontal else df[y],
                    name=y,
                    orientation="h" if horizontal else "v",
                )
                for y in ys
            ]
        )
        if horizontal:
            fig.update_yaxes(autorange="reversed")
    else:
        shown = df.copy()
        for c in shown.columns:
            if shown[c].dtype.kind == "f":
                shown[c] = shown[c].round(2)
        fig = go.Figure(
            go.Table(
                header={"values": list(shown.columns)},
                cells={"values": [shown[c].astype(str).tolist() for c in shown.columns]},
            )
        )
    return _layout(fig, title, height)


def _layout(fig, title: str, height: int):
    fig.update_layout(title=title, height=height, margin={"l": 40, "r": 20, "t": 40, "b": 30}, template="plotly_white")
    return fig


def lines(df, title: str = "", unit: str = "", height: int = 320):
    """A line chart of a long DataFrame (time, series, value), e.g. from lab.promql.range_query."""
    import plotly.express as px

    fig = px.line(df, x="time", y="value", color="series", markers=True, labels={"value": unit or "value"})
    return _layout(fig, title, height)


def windows_per_hour(since=None, table: str | None = None, height: int = 320):
    """Trips per hour from the zone-windows version readers use (lab.config.windows_table()), rows written since
    `since` (all when None): the chart follows the one reader setting, LAB_WINDOWS_TABLE."""
    import pandas as pd
    import plotly.express as px

    table = table or config.windows_table()
    df = tables.read(table)
    if since is not None and not df.empty:
        df = df[pd.to_datetime(df["written_at"], utc=True) >= pd.Timestamp(since)]
    if df.empty:
        raise LabError(f"kappa.{table} has no rows{' written since ' + str(since) if since is not None else ''}")
    hours = (
        df.assign(hour=pd.to_datetime(df["window_start"]).dt.floor("1h"), windows=1)
        .groupby("hour", as_index=False)[["trips", "windows"]]
        .sum()
    )
    fig = px.bar(hours, x="hour", y="trips", hover_data=["windows"], labels={"trips": "trips"})
    return _layout(fig, f"Trips per hour from kappa.{table}", height)
