"""The platform database: a consistent snapshot while the server writes, and its restore.

SQLite: the online backup API copies the database in one step under one read transaction
(WAL: writers go on meanwhile; the copy is the database as of that transaction). PostgreSQL:
a REPEATABLE READ transaction exports its snapshot; ``pg_dump --snapshot`` dumps exactly that
snapshot (custom format) while the same transaction counts and checksums the tables and reads
the hub's dataset versions, so the three agree.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shequ.backup import digest
from shequ.backup.errors import BackupError


@dataclass
class Database:
    """Where a platform database is: Django's settings of one connection."""

    engine: str  # "sqlite" or "postgresql"
    name: str
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, config: dict[str, Any]) -> Database:
        engine = str(config["ENGINE"])
        if engine.endswith(("sqlite3", "sqlite")):  # Django's, or shequ.core.sqlite
            return cls("sqlite", str(config["NAME"]))
        if "postgresql" in engine:
            return cls("postgresql", str(config["NAME"]), dict(config))
        raise BackupError(f"backup supports SQLite and PostgreSQL, not {engine}")

    def libpq_env(self) -> dict[str, str]:
        """The environment that points pg_dump, pg_restore and psql at this database."""
        env = dict(os.environ, PGDATABASE=self.name)
        for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
            if self.params.get(key):
                env[var] = str(self.params[key])
        if self.params.get("PASSWORD"):
            env["PGPASSWORD"] = str(self.params["PASSWORD"])
        if sslmode := (self.params.get("OPTIONS") or {}).get("sslmode"):
            env["PGSSLMODE"] = str(sslmode)
        return env

    def connect(self) -> Any:
        import psycopg
        from psycopg.conninfo import make_conninfo

        conninfo = {"dbname": self.name}
        for key, name in (("HOST", "host"), ("PORT", "port"), ("USER", "user")):
            if self.params.get(key):
                conninfo[name] = str(self.params[key])
        if self.params.get("PASSWORD"):
            conninfo["password"] = str(self.params["PASSWORD"])
        return psycopg.connect(make_conninfo("", **conninfo))


@dataclass
class Snapshot:
    file: Path
    tables: dict[str, dict[str, Any]]
    datasets: dict[str, int]
    server_version: str
    tool: str


# --- SQLite ------------------------------------------------------------------------------


def snapshot_sqlite(source: sqlite3.Connection, target: Path) -> Snapshot:
    """Copy the database open in *source* (Django's connection) to *target* in one step."""
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # pages=-1: one step, one read transaction on the source
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        cursor = copy.cursor()
        tables = digest.sqlite_digests(cursor)
        datasets = digest.dataset_versions(cursor) if "hub_dataset" in tables else {}
    finally:
        copy.close()
    return Snapshot(
        target, tables, datasets, sqlite3.sqlite_version, f"sqlite3 {sqlite3.sqlite_version}"
    )


def sqlite_tables_at(path: Path) -> list[str]:
    """The tables of the SQLite database at *path* (none: empty or absent)."""
    if str(path).startswith("file:"):  # an in-memory database (the test suite's)
        con = sqlite3.connect(str(path), uri=True)
    elif not path.exists() or path.stat().st_size == 0:
        return []
    else:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return digest.sqlite_tables(con.cursor())
    finally:
        con.close()


def sqlite_digests(path: Path) -> dict[str, dict[str, Any]]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return digest.sqlite_digests(con.cursor())
    finally:
        con.close()


# --- PostgreSQL --------------------------------------------------------------------------


def pg_tool(name: str) -> str:
    """The path of pg_dump or pg_restore: SHEQU_PG_BINDIR, else the PATH."""
    bindir = os.environ.get("SHEQU_PG_BINDIR", "")
    found = str(Path(bindir) / name) if bindir else shutil.which(name)
    if not found or not os.access(found, os.X_OK):
        raise BackupError(
            f"{name} is not installed: install the PostgreSQL client of the server's major "
            f"version (Debian: postgresql-client-NN), or set SHEQU_PG_BINDIR to its bin folder"
        )
    return found


def tool_major(path: str) -> tuple[int, str]:
    """The major version of a PostgreSQL client program, and its version line."""
    line = subprocess.run([path, "--version"], capture_output=True, text=True, check=True).stdout
    found = re.search(r"(\d+)(?:\.(\d+))?", line)
    if not found:
        raise BackupError(f"cannot read the version of {path}: {line!r}")
    return int(found.group(1)), line.strip()


def snapshot_postgres(db: Database, target: Path) -> Snapshot:
    pg_dump = pg_tool("pg_dump")
    major, line = tool_major(pg_dump)
    con = db.connect()
    try:
        server = int(con.info.server_version)
        if major < server // 10000:
            raise BackupError(
                f"{line} cannot dump a PostgreSQL {server // 10000} server: install pg_dump "
                f"{server // 10000} or newer (or set SHEQU_PG_BINDIR)"
            )
        con.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        snapshot = con.execute("SELECT pg_export_snapshot()").fetchone()[0]
        argv = [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={target}"]
        dump = subprocess.Popen(
            argv, env=db.libpq_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        try:
            cursor = con.cursor()
            tables = digest.postgres_digests(cursor)
            datasets = digest.dataset_versions(cursor) if "hub_dataset" in tables else {}
        finally:
            _out, err = dump.communicate()
        if dump.returncode:
            raise BackupError(
                f"pg_dump failed ({dump.returncode}): {err.decode(errors='replace')[-2000:]}"
            )
        con.rollback()
    finally:
        con.close()
    return Snapshot(target, tables, datasets, str(server), line)


def postgres_tables(db: Database) -> list[str]:
    with db.connect() as con:
        return digest.postgres_tables(con.cursor())


def postgres_digests(db: Database) -> dict[str, dict[str, Any]]:
    with db.connect() as con:
        return digest.postgres_digests(con.cursor())


def restore_postgres(db: Database, dump: Path, dumped_by: str) -> None:
    """Load the archive into the (empty) database in one transaction: all of it or nothing."""
    pg_restore = pg_tool("pg_restore")
    major, line = tool_major(pg_restore)
    found = re.search(r"(\d+)", dumped_by.removeprefix("pg_dump (PostgreSQL)"))
    if found and major < int(found.group(1)):
        raise BackupError(f"{line} cannot read an archive of {dumped_by}: install a newer one")
    argv = [pg_restore, "--single-transaction", "--exit-on-error", "--no-owner", "--no-acl",
            f"--dbname={db.name}", str(dump)]  # fmt: skip
    done = subprocess.run(argv, env=db.libpq_env(), capture_output=True, text=True, check=False)
    if done.returncode:
        raise BackupError(f"pg_restore failed, nothing was restored: {done.stderr[-2000:]}")


def drop_postgres_tables(db: Database) -> None:
    """Empty the database again (a restore whose check failed after pg_restore committed)."""
    with db.connect() as con:
        for table in digest.postgres_tables(con.cursor()):
            con.execute(f"DROP TABLE IF EXISTS {digest.postgres_quote(table)} CASCADE")
