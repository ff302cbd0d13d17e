"""Cassandra backup and restore on the real local node: snapshot, destroy (truncate and drop), restore, and the
window tables agree with lab.truth again with zero differences."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lab import config
from lab.errors import BackupError
from lab.pipeline import tables, truth
from lab.services import backup, cassandra

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def node():
    """Only Cassandra (a backup needs nothing else) with the lab tables; stopped after if this module started it."""
    config.use("local")
    started = not (cassandra.process().running() and cassandra.ready())
    cassandra.start()
    tables.apply()
    yield cassandra
    if started:
        cassandra.stop()


@pytest.fixture(scope="module")
def expected(node):
    """lab.truth's aggregates of 3,000 real trips, written to the (emptied) window tables."""
    want = truth.aggregate(truth.accepted("yellow", "2021-01", limit=3000))
    tables.truncate(tables.WINDOW_TABLES)
    for table in tables.WINDOW_TABLES:
        assert tables.write(table, want[table]) == len(want[table])
    report = truth.check(want)
    assert report.ok, report.summary()
    return want


@pytest.fixture(autouse=True)
def _no_leftovers(unique_name):
    """Delete the backups a test made (their names start with the test's unique name)."""
    yield
    for name in backup.list_backups():
        if name.startswith(unique_name.replace(".", "-")):
            backup.delete(name)


def test_backup_then_restore_truncated_and_dropped_tables(expected, unique_name):
    name = unique_name.replace(".", "-")
    made = backup.backup(name)
    assert set(tables.TABLES) <= set(made.tables), made.tables
    assert made.files() >= len(tables.WINDOW_TABLES), "the snapshot holds no SSTables of the window tables"
    assert backup.load(name).tables.keys() == made.tables.keys()
    assert name in backup.list_backups()
    assert "There are no snapshots" in backup.nodetool("listsnapshots"), "the snapshot must be cleared on the node"

    session = cassandra.session()
    session.execute(f"TRUNCATE {config.KEYSPACE}.zone_windows")
    for table in ("borough_windows", "top_zones"):
        session.execute(f"DROP TABLE {config.KEYSPACE}.{table}", timeout=120)
    session.cluster.refresh_schema_metadata()
    assert set(tables.WINDOW_TABLES) - set(session.cluster.metadata.keyspaces[config.KEYSPACE].tables) == {
        "borough_windows",
        "top_zones",
    }
    assert tables.read("zone_windows").empty

    restored = backup.restore(name, list(tables.WINDOW_TABLES))
    assert set(restored) == set(tables.WINDOW_TABLES) and all(n >= 1 for n in restored.values()), restored
    report = truth.check(expected)
    assert report.ok, report.summary()
    assert all(t.compared == len(expected[t.table]) for t in report.tables), report.summary()


def test_restore_into_a_dropped_keyspace(expected, unique_name):
    name = unique_name.replace(".", "-")
    backup.backup(name)
    session = cassandra.session()
    session.execute(f"DROP KEYSPACE {config.KEYSPACE}", timeout=120)
    session.cluster.refresh_schema_metadata()
    assert config.KEYSPACE not in session.cluster.metadata.keyspaces

    backup.restore(name)
    assert {m.version for m in tables.migrations()} <= set(tables.applied())
    assert tables.apply() == [], "the restored schema_versions must make every migration count as applied"
    report = truth.check(expected)
    assert report.ok, report.summary()


def test_bad_requests_say_what_to_do(node, unique_name):
    with pytest.raises(BackupError, match="no backup 'nope-never' .*lab backup"):
        backup.restore("nope-never")
    with pytest.raises(BackupError, match="letters, digits"):
        backup.backup("../escape")
    with pytest.raises(BackupError, match="keyspace 'missing_ks' does not exist"):
        backup.backup(unique_name.replace(".", "-"), keyspace="missing_ks")
    name = unique_name.replace(".", "-") + "-x"
    backup.backup(name)
    with pytest.raises(BackupError, match="already exists"):
        backup.backup(name)
    with pytest.raises(BackupError, match="has no table nosuch"):
        backup.restore(name, ["nosuch"])


def test_cli_backup_and_restore(expected, unique_name):
    name = unique_name.replace(".", "-")
    run = [sys.executable, "-m", "lab.cli"]
    out = subprocess.run([*run, "backup", name], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert f"backup {name}: " in out.stdout and "SSTable files" in out.stdout
    assert name in subprocess.run([*run, "backup", "--list"], capture_output=True, text=True, timeout=60).stdout
    tables.truncate(("zone_windows",))
    out = subprocess.run([*run, "restore", name, "zone_windows"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "restored zone_windows" in out.stdout
    report = truth.check(expected)
    assert report.ok, report.summary()
    bad = subprocess.run([*run, "restore", "nope-never"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "lab restore: no backup 'nope-never'" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_week06_restore_check_passes_only_on_an_exact_restore(expected, unique_name):
    from lab.errors import CheckFailed
    from lab.lessons.exercises import week06

    name = unique_name.replace(".", "-")
    before = {t: tables.read(t) for t in ("zone_windows", "borough_windows")}
    with pytest.raises(CheckFailed, match="no backup"):
        week06.check_restore(name, before)
    backup.backup(name)
    tables.truncate(("zone_windows", "borough_windows"))
    with pytest.raises(CheckFailed, match="zone_windows differs"):
        week06.check_restore(name, before)
    backup.restore(name, ["zone_windows"])
    with pytest.raises(CheckFailed, match="borough_windows differs"):
        week06.check_restore(name, before)
    backup.restore(name, ["borough_windows"])
    assert "0 differences" in week06.check_restore(name, before)


def test_week06_snapshot_restore_check_wants_the_table_really_destroyed(expected, unique_name):
    """Fails when a backup + restore without a DROP or TRUNCATE passes, or a DROP + restore does not."""
    from lab.errors import CheckFailed
    from lab.lessons.exercises import week06

    def no_destroy(name, table):
        backup.backup(name)
        backup.restore(name, [table])
        return tables.read(table)

    def drop_and_restore(name, table):
        backup.backup(name)
        cassandra.session().execute(f"DROP TABLE {config.KEYSPACE}.{table}", timeout=120)
        backup.restore(name, [table])
        return tables.read(table)

    name = unique_name.replace(".", "-")
    with pytest.raises(CheckFailed, match="neither dropped nor truncated"):
        week06.check_snapshot_restore(no_destroy, name + "-kept")
    assert "0 differences" in week06.check_snapshot_restore(drop_and_restore, name + "-dropped")
