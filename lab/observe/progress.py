"""A live view of a streaming query: its progress reports as a plotly figure refreshed in place in Jupyter."""

from __future__ import annotations

import pandas as pd


def frame(progress: list[dict]) -> pd.DataFrame:
    """Progress reports (StreamingQuery.recentProgress) as a table, one row per micro-batch."""
    columns = [
        "batch",
        "time",
        "input_rows",
        "input_rows_per_s",
        "processed_rows_per_s",
        "batch_ms",
        "batch_s",
        "watermark",
        "max_event_time",
        "state_rows",
        "dropped_by_watermark",
    ]
    rows = []
    for p in progress:
        ops = p.get("stateOperators") or [{}]
        rows.append(
            {
                "batch": p["batchId"],
                "time": pd.Timestamp(p["timestamp"]),
                "input_rows": p["numInputRows"],
                "input_rows_per_s": p.get("inputRowsPerSecond") or 0.0,
                "processed_rows_per_s": p.get("processedRowsPerSecond") or 0.0,
                "batch_ms": (p.get("durationMs") or {}).get("triggerExecution", 0),
                "batch_s": (p.get("durationMs") or {}).get("triggerExecution", 0) / 1000,
                "watermark": p.get("eventTime", {}).get("watermark"),
                "max_event_time": p.get("eventTime", {}).get("max"),
                "state_rows": ops[0].get("numRowsTotal", 0),
                "dropped_by_watermark": ops[0].get("numRowsDroppedByWatermark", 0),
            }
        )
    return pd.DataFrame(rows, columns=columns)


def figure(progress: list[dict], title: str = "Streaming query progress"):
    """Rows per second in and processed, and the batch duration, per micro-batch."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    df = frame(progress)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, subplot_titles=("rows per second", "batch duration (s)"))
    if not df.empty:
        fig.add_trace(go.Scatter(x=df["batch"], y=df["input_rows_per_s"], name="input"), row=1, col=1)
        fig.add_trace(go.Scatter(x=df["batch"], y=df["processed_rows_per_s"], name="processed"), row=1, col=1)
        fig.add_trace(go.Bar(x=df["batch"], y=df["batch_s"], name="batch duration"), row=2, col=1)
    fig.update_layout(title=title, height=450, xaxis2_title="micro-batch")
    return fig


def watch(query, refreshes: int = 10, every_s: float = 2.0) -> pd.DataFrame:
    """Redraw the progress figure `refreshes` times, every `every_s` seconds, in one output cell.

    Waiting is `query.awaitTermination(every_s)`: bounded, and it returns early if the query ends.
    Returns the progress table at the end.
    """
    from IPython.display import display

    handle = display(figure(query.recentProgress, f"{query.name}: live progress"), display_id=True)
    waited = 0.0
    while not query.recentProgress and waited < 120 and query.isActive:  # the first batch can take a while
        query.awaitTermination(1.0)
        waited += 1.0
    for _ in range(refreshes):
        if query.awaitTermination(every_s):
            break
        handle.update(figure(query.recentProgress, f"{query.name}: live progress"))
    return frame(query.recentProgress)
