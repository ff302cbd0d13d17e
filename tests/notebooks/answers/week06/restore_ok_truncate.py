"""Right, written differently: TRUNCATE instead of DROP, the rows read back with CQL."""

import pandas as pd

import lab

EXERCISE = "restore"
EXPECT = "✅"
KEYWORDS = ("restored exactly",)


def snapshot_destroy_restore(name, table):
    lab.backup.backup(name)
    session = lab.tables.connect()
    session.execute(f"TRUNCATE kappa.{table}", timeout=120)
    lab.backup.restore(name, [table])
    return pd.DataFrame([r._asdict() for r in session.execute(f"SELECT * FROM kappa.{table}", timeout=120)])
