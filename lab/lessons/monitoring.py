"""Weeks 6 and 7: what Prometheus sees of the notebook's own streaming query, the same call on both targets."""

from __future__ import annotations

import pandas as pd

from lab.observe import promql
from lab.services import target
from lab.wait import until


def lag_once_behind(expr: str, timeout: float = 90.0) -> pd.DataFrame:
    """Prometheus's samples of the lag series `expr` once their sum is above 0 (polled up to `timeout`).

    The lag needs the query's own offsets, which this process exports; Prometheus scrapes them on the local target.
    On kind the cluster's Prometheus scrapes the cluster's Spark app, not this notebook: an empty frame, and a line
    saying so.
    """
    if not target.current().scrapes_this_process:
        print("on kind Prometheus does not scrape this notebook's query: its lag is not in Prometheus")
        return pd.DataFrame()
    until(lambda: len(promql.query(f"sum({expr}) > 0")), service="lag in Prometheus", timeout=timeout)
    return promql.query(expr)
