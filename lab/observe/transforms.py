"""Grafana's panel transformations (merge, groupBy, sortBy, limit, organize, filterByValue) on pandas DataFrames."""

from __future__ import annotations

from lab.errors import LabError

_AGG = {
    "sum": "sum",
    "mean": "mean",
    "max": "max",
    "min": "min",
    "count": "count",
    "last": "last",
    "lastNotNull": "last",
    "first": "first",
    "firstNotNull": "first",
}


def apply(df, transformations: list[dict], ctx=None):
    """Apply Grafana transformations in order; `ctx` interpolates variables in options (e.g. limitField "$topn").

    >>> import pandas as pd
    >>> df = pd.DataFrame({"zone": ["a", "b", "a"], "trips": [1, 5, 2]})
    >>> steps = [{"id": "groupBy", "options": {"fields": {"zone": {"operation": "groupby"},
    ...           "trips": {"operation": "aggregate", "aggregations": ["sum"]}}}},
    ...          {"id": "sortBy", "options": {"sort": [{"field": "trips (sum)", "desc": True}]}},
    ...          {"id": "limit", "options": {"limitField": 1}}]
    >>> apply(df, steps).to_dict("records")
    [{'zone': 'b', 'trips (sum)': 5}]
    """
    for t in transformations:
        if t.get("disabled"):
            continue
        step = _STEPS.get(t["id"])
        if step is None:
            raise LabError(f"transformation {t['id']!r} is not supported by lab.dashboard")
        df = step(df, t.get("options", {}), ctx)
    return df


def _merge(df, _opts, _ctx):
    return df  # the frames of all targets are already one table


def _group_by(df, opts, _ctx):
    fields = opts.get("fields", {})
    keys = [f for f, o in fields.items() if o.get("operation") == "groupby" and f in df.columns]
    aggs = {
        f: o.get("aggregations", []) for f, o in fields.items() if o.get("operation") == "aggregate" and f in df.columns
    }
    if not keys:
        raise LabError(f"groupBy: none of its group fields {list(fields)} is a column ({list(df.columns)})")
    g = df.groupby(keys, sort=False, dropna=False)
    out = g.size().reset_index()[keys]
    for f, calcs in aggs.items():
        for c in calcs:
            out[f"{f} ({c})"] = g[f].agg(_AGG[c]).values
    return out


def _sort_by(df, opts, _ctx):
    for s in reversed(opts.get("sort", [])):
        if s["field"] not in df.columns:
            raise LabError(f"sortBy: no field {s['field']!r} in {list(df.columns)}")
        df = df.sort_values(s["field"], ascending=not s.get("desc", False), kind="stable")
    return df.reset_index(drop=True)


def _limit(df, opts, ctx):
    n = opts.get("limitField", 10)
    if isinstance(n, str) and ctx is not None:
        n = ctx.interpolate(n)
    return df.head(int(n)).reset_index(drop=True)


def _organize(df, opts, _ctx):
    drop = [c for c, hide in opts.get("excludeByName", {}).items() if hide and c in df.columns]
    df = df.drop(columns=drop).rename(columns=opts.get("renameByName", {}))
    order = opts.get("indexByName", {})
    if order:
        df = df[sorted(df.columns, key=lambda c: order.get(c, len(order)))]
    return df


def _filter_by_value(df, opts, _ctx):
    keep = opts.get("type", "include") == "include"
    mask = None
    for f in opts.get("filters", []):
        col, cfg = f["fieldName"], f.get("config", {})
        value = cfg.get("options", {}).get("value")
        m = {
            "greater": df[col] > value,
            "lower": df[col] < value,
            "equal": df[col] == value,
            "isNotNull": df[col].notna(),
        }[cfg["id"]]
        mask = m if mask is None else (mask & m if opts.get("match") == "all" else mask | m)
    return df if mask is None else df[mask if keep else ~mask].reset_index(drop=True)


_STEPS = {
    "merge": _merge,
    "groupBy": _group_by,
    "sortBy": _sort_by,
    "limit": _limit,
    "organize": _organize,
    "filterByValue": _filter_by_value,
}
