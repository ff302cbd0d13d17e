"""Cassandra backup and restore on the local node: a `nodetool snapshot` copied off the data folder, and a restore
that recreates a dropped table from the snapshot's schema.cql and loads its SSTables back with `nodetool import`.

A backup is a folder <lab_home>/backups/<name>/ (outside the node's data, so `lab down --purge` keeps it) with
keyspace.cql and <keyspace>/<table>/ per table: the snapshot's SSTables, manifest.json and schema.cql. The SSTables'
folder must sit in one named after the keyspace: `nodetool import` reads the keyspace from the parent folder's name and
silently imports nothing when that is not a valid keyspace name (e.g. a backup name with a '-').
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from lab import config
from lab.errors import BackupError
from lab.services import artifacts, cassandra, target

NODETOOL = "org.apache.cassandra.tools.NodeTool"
_NAME = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Backup:
    """One backup on disk: its name, keyspace and table → folder."""

    name: str
    keyspace: str
    folder: Path
    tables: dict[str, Path]

    def files(self) -> int:
        """How many SSTables (Data.db files) the backup holds."""
        return sum(1 for d in self.tables.values() for _ in d.glob("*-Data.db"))


def backups_dir() -> Path:
    """Where backups are kept: <lab_home>/backups (not deleted by `lab down --purge`)."""
    return config.lab_home() / "backups"


def nodetool(*args: str, timeout: float = 300.0) -> str:
    """Run cassandra-all's NodeTool against the local node's JMX port (localhost only); returns its output.

    BackupError with the output's tail when it fails (e.g. the node is not running).
    """
    target.current().require_local(
        "nodetool runs against the local node only; on kind use the snapshot CronJob "
        "(k8s/base/cassandra/snapshot-cronjob.yaml)",
        BackupError,
    )
    # the module flags of Cassandra's conf/jvm17-clients.options (else IllegalAccessException on DirectBuffer.cleaner)
    cmd = [
        artifacts.java_bin(),
        "-Xmx256m",
        "-XX:TieredStopAtLevel=1",
        *cassandra.JVM_MODULE_FLAGS,
        f"-Dlogback.configurationFile=file://{config.RESOURCES / 'cassandra' / 'logback-tools.xml'}",
        "-cp",
        artifacts.classpath("cassandra"),
        NODETOOL,
        "-h",
        "127.0.0.1",
        "--port",
        str(config.ports().cassandra_jmx),
        *args,
    ]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise BackupError(
            f"nodetool {' '.join(args)} did not finish in {timeout:.0f}s; see `lab logs cassandra`"
        ) from exc
    if out.returncode != 0:
        tail = "\n".join((out.stdout + out.stderr).strip().splitlines()[-12:])
        raise BackupError(
            f"nodetool {' '.join(args)} failed (exit {out.returncode}); is Cassandra up (`lab up "
            f"cassandra`)?\n--- nodetool output ---\n{tail}"
        )
    return out.stdout


def _check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise BackupError(f"backup name {name!r}: use only letters, digits, '-' and '_'")
    return name


def table_dirs(keyspace: str) -> dict[str, Path]:
    """table → its live data folder (<data>/data/<ks>/<table>-<id>), the newest one when a table was recreated."""
    root = cassandra.data_dir() / "data" / keyspace
    found: dict[str, Path] = {}
    for d in sorted(root.glob("*-*"), key=lambda p: p.stat().st_mtime) if root.exists() else []:
        found[d.name.rsplit("-", 1)[0]] = d
    return found


def backup(name: str | None = None, keyspace: str = config.KEYSPACE) -> Backup:
    """Snapshot `keyspace` (nodetool flushes first), copy the snapshot into backups_dir()/name, clear it on the node.

    Raises BackupError when the name is taken, the keyspace is unknown or nodetool fails.
    """
    name = _check_name(name or time.strftime("%Y%m%d-%H%M%S"))
    dest = backups_dir() / name
    if dest.exists():
        raise BackupError(f"backup {name!r} already exists in {backups_dir()}: choose another name or delete it")
    session = cassandra.session()
    session.cluster.refresh_schema_metadata()
    ks = session.cluster.metadata.keyspaces.get(keyspace)
    if ks is None:
        raise BackupError(
            f"keyspace {keyspace!r} does not exist: nothing to back up (run the stream or lab.tables.apply() first)"
        )
    nodetool("snapshot", "-t", name, keyspace)
    try:
        tables = {}
        for table, live in table_dirs(keyspace).items():
            snap = live / "snapshots" / name
            if table in ks.tables and snap.is_dir():
                tables[table] = Path(shutil.copytree(snap, dest / keyspace / table))
        (dest / "keyspace.cql").write_text(ks.as_cql_query() + ";\n")
    except OSError as exc:
        shutil.rmtree(dest, ignore_errors=True)
        raise BackupError(f"copying snapshot {name!r} to {dest} failed: {exc}") from exc
    finally:
        nodetool("clearsnapshot", "-t", name, "--", keyspace)
    return Backup(name, keyspace, dest, tables)


def load(name: str) -> Backup:
    """A backup on disk by name; BackupError listing the ones there are when it is missing."""
    folder = backups_dir() / _check_name(name)
    if not (folder / "keyspace.cql").is_file():
        have = ", ".join(list_backups()) or "none"
        raise BackupError(f"no backup {name!r} in {backups_dir()} (backups: {have}); make one with `lab backup`")
    keyspace = re.search(r"CREATE KEYSPACE (\w+)", (folder / "keyspace.cql").read_text()).group(1)
    tables = {d.name: d for d in sorted((folder / keyspace).iterdir()) if (d / "schema.cql").is_file()}
    return Backup(name, keyspace, folder, tables)


def list_backups() -> list[str]:
    """Names of the backups on disk, oldest first."""
    root = backups_dir()
    found = [d for d in root.iterdir() if (d / "keyspace.cql").is_file()] if root.exists() else []
    return [d.name for d in sorted(found, key=lambda d: d.stat().st_mtime)]


def delete(name: str) -> bool:
    """Delete a backup folder; True when there was one."""
    folder = backups_dir() / _check_name(name)
    if not folder.is_dir():
        return False
    shutil.rmtree(folder)
    return True


def _schema_statements(path: Path) -> list[str]:
    """The CQL statements of a snapshot's schema.cql (CREATE TYPE/TABLE/INDEX …), comments removed."""
    text = "\n".join(line for line in path.read_text().splitlines() if not line.strip().startswith("--"))
    return [s.strip() for s in text.split(";") if s.strip()]


def restore(name: str, tables: list[str] | None = None) -> dict[str, int]:
    """Restore a backup's tables (default: all): recreate the keyspace and any dropped table from the backup's CQL,
    then `nodetool import --copy-data` its SSTables (the backup stays intact). Returns table → files imported.

    Rows written after the backup are kept; a row in both keeps the newer write (Cassandra's timestamps).
    """
    b = load(name)
    wanted = tables or list(b.tables)
    unknown = sorted(set(wanted) - set(b.tables))
    if unknown:
        raise BackupError(f"backup {name!r} has no table {', '.join(unknown)} (it has {', '.join(b.tables)})")
    session = cassandra.session()
    meta = session.cluster.metadata
    if b.keyspace not in meta.keyspaces:
        session.execute((b.folder / "keyspace.cql").read_text().rstrip().rstrip(";"), timeout=120)
    session.cluster.refresh_schema_metadata()
    imported = {}
    for table in wanted:
        if table not in meta.keyspaces[b.keyspace].tables:
            for stmt in _schema_statements(b.tables[table] / "schema.cql"):
                session.execute(stmt, timeout=120)
            session.cluster.refresh_schema_metadata()
        want = sorted(b.tables[table].glob("*-Data.db"))
        before = _sstables(b.keyspace, table)
        nodetool("import", "--copy-data", b.keyspace, table, str(b.tables[table]))
        got = len(_sstables(b.keyspace, table) - before)
        if got < len(want):  # nodetool import says nothing when it finds nothing to import: count for ourselves
            raise BackupError(
                f"nodetool import loaded {got} of the {len(want)} SSTables of {b.keyspace}.{table} from "
                f"{b.tables[table]}; see `lab logs cassandra` (SSTableImporter)"
            )
        imported[table] = got
    return imported


def _sstables(keyspace: str, table: str) -> set[str]:
    """The Data.db files of a table's live folder."""
    live = table_dirs(keyspace).get(table)
    return {p.name for p in live.glob("*-Data.db")} if live else set()
