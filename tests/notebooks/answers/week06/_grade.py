"""Week 06's exercises as the notebook grades them. The lag is judged on the check's made-up offsets (two queries,
partitions of different progress), which need only Prometheus; the restore runs on a private day's rows written into
kappa.zone_windows, and the table must hold them again after every answer (the check's safety backup)."""

import time

import pandas as pd

import lab
from lab.lessons.exercises import Graded, grade, week06

DAY = pd.Timestamp("2020-06-16")


def total_lag(answer, name):
    return grade(week06.check_lag_per_partition, answer.total_lag, name)


def _rows() -> pd.DataFrame:
    ok, _ = lab.data.validate(lab.data.load("yellow", "2021-01", limit=200), "2021-01")
    shift = DAY - ok["pickup_ts"].min().normalize()
    return lab.truth.aggregate(ok.assign(pickup_ts=ok["pickup_ts"] + shift))["zone_windows"]


def restore(answer, name):
    lab.tables.write("zone_windows", _rows())
    before = lab.tables.read("zone_windows")
    backup = f"{name[:40]}-{int(time.time())}"
    try:
        graded = grade(
            week06.check_snapshot_restore,
            answer.snapshot_destroy_restore,
            backup,
            "zone_windows",
            timeout_s=getattr(answer, "TIMEOUT_S", 300),
        )
        after = lab.tables.read("zone_windows")
        diff = lab.truth.compare_table("zone_windows", before, after)
        if not diff.ok:  # the table lost for the rest of the course: whatever the line says, the test fails
            return Graded(False, f"kappa.zone_windows not recovered after the check: {diff.summary()}")
        return graded
    finally:
        for b in (backup, f"{backup}-safety"):
            lab.backup.delete(b)


EXERCISES = {"total_lag": total_lag, "restore": restore}
