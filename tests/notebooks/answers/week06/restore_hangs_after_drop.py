"""Hangs after the DROP: waits for the table to come back by itself; the check stops waiting and its safety backup
brings the table back (the test also reads it afterwards)."""

import time

import lab

EXERCISE = "restore"
EXPECT = "❌"
KEYWORDS = ("did not return within",)
TIMEOUT_S = 15

GIVE_UP = []


def snapshot_destroy_restore(name, table):
    lab.backup.backup(name)
    lab.tables.connect().execute(f"DROP TABLE kappa.{table}", timeout=120)
    while not GIVE_UP:
        time.sleep(0.5)
    return lab.tables.read(table)
