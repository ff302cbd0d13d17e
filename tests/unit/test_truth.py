"""Unit tests of the ground truth and the exactness comparison (no services)."""

from __future__ import annotations

import pandas as pd
import pytest

from lab.errors import CheckFailed
from lab.pipeline import truth


def trips() -> pd.DataFrame:
    rows = [  # pickup, zone, passengers, fare, tip, distance, total
        ("2021-01-01 00:01:00", 142, 1, 10.0, 2.0, 1.0, 13.0),
        ("2021-01-01 00:04:59", 142, None, 20.0, 0.0, 3.0, 21.0),
        ("2021-01-01 00:05:00", 142, 2, 0.0, 0.0, 0.0, 0.0),  # next window; fare 0: no tip %
        ("2021-01-01 00:02:00", 236, 3, 8.0, 4.0, 2.0, 12.0),  # same borough (Manhattan), other zone
        ("2021-01-01 00:03:00", 1, 1, 50.0, 5.0, 10.0, 60.0),  # EWR
    ]
    df = pd.DataFrame(
        rows,
        columns=[
            "pickup_ts",
            "pu_location_id",
            "passenger_count",
            "fare_amount",
            "tip_amount",
            "trip_distance",
            "total_amount",
        ],
    )
    df["pickup_ts"] = pd.to_datetime(df["pickup_ts"])
    df["passenger_count"] = df["passenger_count"].astype("Int64")
    return df


def test_zone_metrics_follow_the_documented_definitions():
    z = truth.aggregate(trips())["zone_windows"].set_index(["zone_id", "window_start"])
    w = z.loc[(142, pd.Timestamp("2021-01-01 00:00"))]
    assert w.trips == 2 and w.passengers == 1 and w.fare_total == 30.0 and w.fare_avg == 15.0
    assert w.tip_trips == 2 and w.tip_pct_avg == pytest.approx((20.0 + 0.0) / 2)
    assert w.distance_avg == 2.0 and w.revenue_total == 34.0 and w.zone == "Lincoln Square East"
    nxt = z.loc[(142, pd.Timestamp("2021-01-01 00:05"))]
    assert nxt.trips == 1 and nxt.tip_trips == 0 and pd.isna(nxt.tip_pct_avg)


def test_borough_rows_sum_their_zones():
    b = truth.aggregate(trips())["borough_windows"].set_index(["borough", "window_start"])
    m = b.loc[("Manhattan", pd.Timestamp("2021-01-01 00:00"))]
    assert m.trips == 3 and m.revenue_total == 46.0 and m.tip_pct_avg == pytest.approx((20 + 0 + 50) / 3)
    assert b.loc[("EWR", pd.Timestamp("2021-01-01 00:00"))].trips == 1


def test_max_lateness_in_arrival_order():
    assert truth.max_lateness(trips()) == pd.Timedelta(minutes=3)


def test_identical_tables_pass_and_changes_are_reported():
    exp = truth.aggregate(trips())
    same = truth.check(exp, actual={k: v.copy() for k, v in exp.items()})
    assert same.ok and "0 missing" in same.summary()

    act = {k: v.copy() for k, v in exp.items()}
    zw = act["zone_windows"]
    zw.loc[zw.index[0], "trips"] += 1  # a double-counted trip
    zw.loc[zw.index[1], "fare_total"] *= 1 + 1e-6  # beyond 1e-9 relative
    act["zone_windows"] = pd.concat([zw.iloc[:-1], zw.iloc[[0]].assign(zone_id=99)])  # one missing, one extra
    report = truth.check(exp, actual=act)
    d = report.tables[0]
    assert not report.ok and len(d.missing) == 1 and len(d.extra) == 1
    assert set(d.differing["column"]) >= {"trips", "fare_total"}
    with pytest.raises(CheckFailed, match="zone_windows"):
        truth.check(exp, actual=act, strict=True)


def test_float_noise_below_the_tolerance_is_equal():
    exp = truth.aggregate(trips())
    act = {k: v.copy() for k, v in exp.items()}
    act["borough_windows"]["fare_total"] *= 1 + 1e-12
    assert truth.check(exp, actual=act).ok


def test_cutoff_ignores_windows_the_watermark_has_not_closed():
    exp = truth.aggregate(trips())
    act = {k: v[v["window_start"] < pd.Timestamp("2021-01-01 00:05")].copy() for k, v in exp.items()}
    assert not truth.check(exp, actual=act).ok
    cut = truth.cutoff("2021-01-01 00:19:00", "10 minutes")  # the 00:05–00:10 window is still open at 00:09
    assert cut == pd.Timestamp("2021-01-01 00:09:00")
    report = truth.check(exp, actual=act, cutoff=cut)
    assert report.ok and report.tables[0].compared == 3
