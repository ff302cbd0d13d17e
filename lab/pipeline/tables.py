"""The Cassandra data model: versioned CQL files in lab/cql applied once each, and small table helpers."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from lab import config
from lab.errors import LabError
from lab.services import cassandra, spark

CQL_DIR = config.CQL_DIR
WINDOW_TABLES = ("zone_windows", "borough_windows", "top_zones")
VERSIONED_TABLES = tuple(t for t in config.WINDOWS_TABLES if t not in WINDOW_TABLES)  # zone_windows_v2 (week 9)
TABLES = (*WINDOW_TABLES, "quarantine", *VERSIONED_TABLES)


@dataclass(frozen=True)
class Migration:
    """One file lab/cql/NNN_name.cql."""

    version: int
    name: str
    path: Path

    @property
    def text(self) -> str:
        return self.path.read_text()

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()[:16]

    def statements(self) -> list[str]:
        """The CQL statements of the file, comments removed.

        >>> [m.version for m in migrations()][:1]
        [1]
        """
        out, buf, quoted = [], [], False
        for line in self.text.splitlines():
            i = 0
            while i < len(line):
                ch = line[i]
                if ch == "'":
                    quoted = not quoted
                elif not quoted and line.startswith("--", i):
                    break
                elif not quoted and ch == ";":
                    out.append("".join(buf).strip())
                    buf = []
                    i += 1
                    continue
                buf.append(ch)
                i += 1
            buf.append("\n")
        out.append("".join(buf).strip())
        return [s for s in out if s]


def migrations() -> list[Migration]:
    """Every CQL file, in version order."""
    out = []
    for path in sorted(CQL_DIR.glob("*.cql")):
        m = re.fullmatch(r"(\d{3})_(\w+)\.cql", path.name)
        if not m:
            raise LabError(f"{path.name}: CQL files must be named NNN_name.cql")
        out.append(Migration(int(m.group(1)), m.group(2), path))
    return out


def connect(keyspace: str | None = None):
    """A cassandra-driver Session to the lab's Cassandra (lab.cassandra's cached session)."""
    return cassandra.session(keyspace)


def applied(session=None) -> dict[int, str]:
    """Version → checksum of the CQL files already applied (empty before the first apply)."""
    session = session or connect()
    if (
        not session.cluster.metadata.keyspaces.get(config.KEYSPACE)
        or "schema_versions" not in session.cluster.metadata.keyspaces[config.KEYSPACE].tables
    ):
        return {}
    rows = session.execute(f"SELECT version, checksum FROM {config.KEYSPACE}.schema_versions")
    return {r.version: r.checksum for r in rows}


def apply(session=None, progress=None) -> list[int]:
    """Apply the CQL files not applied yet, in order; returns the versions applied now (idempotent).

    An already-applied file whose content changed raises LabError: write a new NNN file instead.
    """
    session = session or connect()
    done = applied(session)
    new = []
    for m in migrations():
        if m.version in done:
            if done[m.version] != m.checksum:
                raise LabError(
                    f"{m.path.name} changed after it was applied (checksum {done[m.version]} → "
                    f"{m.checksum}); add a new NNN_name.cql file with the change instead"
                )
            continue
        for stmt in m.statements():
            session.execute(stmt, timeout=120)
        session.execute(
            f"INSERT INTO {config.KEYSPACE}.schema_versions (version, name, checksum, applied_at) "
            "VALUES (%s, %s, %s, %s)",
            (m.version, m.name, m.checksum, datetime.now(UTC)),
        )
        session.cluster.refresh_schema_metadata()
        new.append(m.version)
        if progress:
            progress(f"applied {m.path.name}")
    if new:
        spark.forget_schema()  # a Spark query started now must find the new tables
    return new


def truncate(tables: tuple[str, ...] = TABLES, session=None) -> None:
    """Empty the lab's tables (tests and notebooks start from a clean slate)."""
    session = session or connect()
    for t in tables:
        session.execute(f"TRUNCATE {config.KEYSPACE}.{t}", timeout=120)


def set_ttl(table: str, seconds: int, session=None) -> None:
    """Change a table's default TTL (0 = keep forever); applies to rows written afterwards."""
    if table not in TABLES:
        raise LabError(f"unknown table {table!r}: choose one of {', '.join(TABLES)}")
    (session or connect()).execute(f"ALTER TABLE {config.KEYSPACE}.{table} WITH default_time_to_live = {int(seconds)}")


def read(table: str, session=None):
    """A whole (small) lab table as a pandas DataFrame; full scans are for tests and checks, not dashboards."""
    import pandas as pd

    if table not in TABLES:
        raise LabError(f"unknown table {table!r}: choose one of {', '.join(TABLES)}")
    rows = list((session or connect()).execute(f"SELECT * FROM {config.KEYSPACE}.{table}", timeout=120))
    return pd.DataFrame([r._asdict() for r in rows])


def describe(table: str, session=None) -> str:
    """The CREATE TABLE statement Cassandra reports for a lab table."""
    session = session or connect()
    return session.cluster.metadata.keyspaces[config.KEYSPACE].tables[table].export_as_string()


def write(table: str, frame, session=None) -> int:
    """Upsert a DataFrame's rows into a lab table (the columns the table has; NaN → null); returns rows written.

    For small frames such as lab.truth.aggregate's (tests, the backup lesson); the stream writes through Spark.
    """
    import pandas as pd
    from cassandra.concurrent import execute_concurrent_with_args

    if table not in TABLES:
        raise LabError(f"unknown table {table!r}: choose one of {', '.join(TABLES)}")
    session = session or connect()
    meta = session.cluster.metadata.keyspaces[config.KEYSPACE].tables[table]
    cols = [c for c in frame.columns if c in meta.columns]
    rows = frame[cols].astype(object).where(frame[cols].notna(), None)
    for c in cols:
        kind = meta.columns[c].cql_type
        if kind == "date":
            rows[c] = [v.date() if v is not None else None for v in pd.to_datetime(rows[c])]
        elif kind == "timestamp":
            rows[c] = [v.to_pydatetime() if v is not None else None for v in rows[c]]
        elif kind in ("int", "bigint"):
            rows[c] = [int(v) if v is not None else None for v in rows[c]]
    stmt = session.prepare(
        f"INSERT INTO {config.KEYSPACE}.{table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    )
    results = execute_concurrent_with_args(
        session, stmt, list(rows.itertuples(index=False, name=None)), concurrency=50, raise_on_first_error=True
    )
    return len(results)
