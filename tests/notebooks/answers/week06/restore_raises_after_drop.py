"""Raises after the DROP: the restore names a table the backup does not have; the check's safety backup brings the
table back (the test also reads it afterwards)."""

import lab

EXERCISE = "restore"
EXPECT = "❌"
KEYWORDS = ("raised", "zone_window")


def snapshot_destroy_restore(name, table):
    lab.backup.backup(name)
    lab.tables.connect().execute(f"DROP TABLE kappa.{table}", timeout=120)
    lab.backup.restore(name, ["zone_window"])
    return lab.tables.read(table)
