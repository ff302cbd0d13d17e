"""Right, written differently: partition key (day, borough), an UPDATE per row, the day from a resample."""

import pandas as pd
from _solution import TABLE

EXERCISE = "borough_table"
EXPECT = "✅"
KEYWORDS = ("day, borough", "also after a replay")


def create_borough_hourly(session):
    session.execute(TABLE.format(key="(day, borough)"))


def hourly_revenue(zone_windows):
    zw = zone_windows.copy()
    zw["hour"] = pd.to_datetime(zw["window_start"]).dt.floor("h")
    out = zw.pivot_table(index=["borough", "hour"], values=["trips", "revenue_total"], aggfunc="sum").reset_index()
    out["day"] = [h.date() for h in out["hour"]]
    return out


def upsert_hourly(session, rows):
    update = session.prepare(
        "UPDATE kappa.borough_revenue_hourly SET trips = ?, revenue_total = ? WHERE borough = ? AND day = ? AND hour = ?"
    )
    for _, r in rows.iterrows():
        session.execute(update, (int(r["trips"]), float(r["revenue_total"]), r["borough"], r["day"], r["hour"]))
