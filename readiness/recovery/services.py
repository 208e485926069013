"""Backing up and restoring Tocsin's own database (``manage.py backup`` / ``restore``).

PostgreSQL: ``pg_dump`` in custom format, restored with ``pg_restore --clean --if-exists
--no-owner --no-privileges --single-transaction`` (all or nothing). SQLite: sqlite3's
online backup API, both ways. Every backup has a manifest next to it
(``<backup>.manifest.json``): the row count and a checksum of every table, taken in the
same snapshot as the dump, and the applied migrations. A restore is compared with it
before it is reported done. See docs/operations.md.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from common.errors import Conflict, InvalidInput

MANIFEST_SUFFIX = ".manifest.json"
MANIFEST_FORMAT = 1

# The row checksum: md5 of the sorted md5s of each row's text. Hashing each row first
# keeps the aggregate at 32 bytes a row, far below PostgreSQL's 1 GB text limit.
_PG_TABLE_SUMMARY = (
    "SELECT count(*), coalesce(md5(string_agg(h, '' ORDER BY h)), '') "
    "FROM (SELECT md5(t::text) AS h FROM {table} AS t) AS rows"
)


class RecoveryError(InvalidInput):
    """A backup or restore that cannot go ahead; the message says what to do."""


class DatabaseNotEmpty(Conflict):
    default_detail = "The database already has tables."


@dataclass(frozen=True)
class TableSummary:
    rows: int
    checksum: str


@dataclass(frozen=True)
class Manifest:
    engine: str  # "postgresql" or "sqlite"
    database: str
    taken_at: str  # ISO 8601, UTC
    tables: dict[str, TableSummary]
    migrations: list[str]  # "app.name", applied, sorted
    server_version: str = ""
    tool_version: str = ""

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables.values())

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": MANIFEST_FORMAT,
                "engine": self.engine,
                "database": self.database,
                "taken_at": self.taken_at,
                "server_version": self.server_version,
                "tool_version": self.tool_version,
                "tables": {
                    name: {"rows": t.rows, "checksum": t.checksum}
                    for name, t in sorted(self.tables.items())
                },
                "migrations": self.migrations,
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        raw = json.loads(text)
        if raw.get("format") != MANIFEST_FORMAT:
            raise RecoveryError(f"Unknown manifest format {raw.get('format')!r}.")
        return cls(
            engine=raw["engine"],
            database=raw["database"],
            taken_at=raw["taken_at"],
            server_version=raw.get("server_version", ""),
            tool_version=raw.get("tool_version", ""),
            tables={
                name: TableSummary(rows=t["rows"], checksum=t["checksum"])
                for name, t in raw["tables"].items()
            },
            migrations=list(raw["migrations"]),
        )


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest_path: Path
    manifest: Manifest
    size_bytes: int
    seconds: float


@dataclass(frozen=True)
class RestoreResult:
    path: Path
    database: str
    created_database: bool
    # The backup's manifest, or (none found) the restored database's own.
    manifest: Manifest
    manifest_found: bool
    differences: list[str]
    seconds: float
    # Migrations of this code that the restored database has not applied (run migrate),
    # and applied ones this code does not have (the backup is newer than the code).
    unapplied_migrations: list[str] = field(default_factory=list)
    unknown_migrations: list[str] = field(default_factory=list)


# --- Where things are -----------------------------------------------------------------


def _engine(alias: str = "default") -> str:
    vendor = connections[alias].vendor
    if vendor not in ("postgresql", "sqlite"):
        raise RecoveryError(f"Backups support PostgreSQL and SQLite, not {vendor}.")
    return vendor


def backup_default_path(*, engine: str | None = None) -> Path:
    """``var/backups/tocsin-<UTC timestamp>.dump`` (``.sqlite3`` on SQLite)."""
    engine = engine or _engine()
    stamp = timezone.now().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    suffix = ".dump" if engine == "postgresql" else ".sqlite3"
    var_dir = Path(getattr(settings, "VAR_DIR", Path(settings.BASE_DIR) / "var"))
    return var_dir / "backups" / f"tocsin-{stamp}{suffix}"


def manifest_path_for(path: Path) -> Path:
    return path.with_name(path.name + MANIFEST_SUFFIX)


def manifest_read(*, path: Path) -> Manifest | None:
    manifest_path = manifest_path_for(path)
    if not manifest_path.exists():
        return None
    return Manifest.from_json(manifest_path.read_text())


def manifest_compare(*, expected: Manifest, actual: Manifest) -> list[str]:
    """What differs between two manifests, one line per table (empty: identical)."""
    differences = []
    for name in sorted(set(expected.tables) | set(actual.tables)):
        want, got = expected.tables.get(name), actual.tables.get(name)
        if want is None:
            differences.append(f"{name}: not in the backup ({got.rows if got else 0} rows now)")
        elif got is None:
            differences.append(f"{name}: missing ({want.rows} rows in the backup)")
        elif want.rows != got.rows:
            differences.append(f"{name}: {got.rows} rows, the backup had {want.rows}")
        elif want.checksum != got.checksum:
            differences.append(f"{name}: same row count ({got.rows}) but different contents")
    if expected.migrations != actual.migrations:
        differences.append("django_migrations: the applied migrations differ")
    return differences


# --- PostgreSQL -----------------------------------------------------------------------


def _pg_env(db: Mapping[str, Any], *, dbname: str | None = None) -> dict[str, str]:
    """libpq's environment for pg_dump/pg_restore: the password never on a command line
    (other users of the host can read those in ps)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    values = {
        "PGHOST": db.get("HOST") or "",
        "PGPORT": str(db.get("PORT") or ""),
        "PGUSER": db.get("USER") or "",
        "PGPASSWORD": db.get("PASSWORD") or "",
        "PGDATABASE": dbname or db["NAME"],
    }
    options = db.get("OPTIONS") or {}
    for option, variable in (
        ("sslmode", "PGSSLMODE"),
        ("sslrootcert", "PGSSLROOTCERT"),
        ("sslcert", "PGSSLCERT"),
        ("sslkey", "PGSSLKEY"),
    ):
        if options.get(option):
            values[variable] = str(options[option])
    env.update({k: v for k, v in values.items() if v})
    return env


def pg_connect(
    db: Mapping[str, Any],
    *,
    dbname: str | None = None,
    autocommit: bool = False,
    params: Mapping[str, Any] | None = None,
):
    """A psycopg connection of our own (not Django's) to the server of ``db`` (a
    DATABASES entry); ``params`` adds libpq parameters."""
    import psycopg

    options = db.get("OPTIONS") or {}
    kwargs = {
        "dbname": dbname or db["NAME"],
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
        **{k: v for k, v in options.items() if k.startswith("ssl")},
        **(params or {}),
    }
    return psycopg.connect(
        **{k: v for k, v in kwargs.items() if v is not None}, autocommit=autocommit
    )


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise RecoveryError(
            f"{name} is not installed. Install the PostgreSQL client of the server's major "
            "version (Debian: apt-get install postgresql-client)."
        )
    return found


def _pg_tool_major(tool: str) -> int:
    output = subprocess.run(  # noqa: S603 - a fixed binary found on PATH, no shell
        [tool, "--version"], capture_output=True, text=True, check=True
    ).stdout
    # "pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"
    return int(output.split(")")[1].strip().split(".")[0])


def pg_versions_check(*, tool: str, server_version_num: int) -> str:
    """The tool's version line; refuses a pg_dump older than the server (it cannot read a
    newer server's catalogs reliably) and warns nothing for a newer one (supported)."""
    tool_major = _pg_tool_major(tool)
    server_major = server_version_num // 10000
    if tool_major < server_major:
        raise RecoveryError(
            f"{Path(tool).name} is version {tool_major} but the server is PostgreSQL "
            f"{server_major}. Install postgresql-client-{server_major} (or newer) and run "
            "again (see docs/operations.md)."
        )
    return f"{Path(tool).name} {tool_major}"


def _pg_table_names(cursor) -> list[str]:
    cursor.execute(
        "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) "
        "FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
        "AND table_schema NOT IN ('pg_catalog', 'information_schema') "
        "AND table_schema NOT LIKE 'pg_toast%%' ORDER BY 1"
    )
    return [row[0] for row in cursor.fetchall()]


def _display_name(qualified: str) -> str:
    return qualified.removeprefix("public.")


def _pg_manifest(cursor, *, database: str, tool_version: str = "") -> Manifest:
    tables = {}
    for name in _pg_table_names(cursor):
        cursor.execute(_PG_TABLE_SUMMARY.format(table=name))
        rows, checksum = cursor.fetchone()
        tables[_display_name(name)] = TableSummary(rows=rows, checksum=checksum)
    migrations: list[str] = []
    if "django_migrations" in tables:
        cursor.execute("SELECT app || '.' || name FROM django_migrations ORDER BY 1")
        migrations = [row[0] for row in cursor.fetchall()]
    cursor.execute("SHOW server_version")
    return Manifest(
        engine="postgresql",
        database=database,
        taken_at=timezone.now().astimezone(UTC).isoformat(),
        tables=tables,
        migrations=migrations,
        server_version=cursor.fetchone()[0],
        tool_version=tool_version,
    )


def _pg_backup(*, path: Path, db: Mapping[str, Any]) -> Manifest:
    pg_dump = _pg_tool("pg_dump")
    # One REPEATABLE READ transaction exports its snapshot: pg_dump dumps exactly that
    # snapshot and the manifest is counted in it, so they agree although writes go on.
    with pg_connect(db) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        tool_version = pg_versions_check(tool=pg_dump, server_version_num=conn.info.server_version)
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        partial = path.with_name(path.name + ".partial")
        partial.unlink(missing_ok=True)
        partial.touch(mode=0o600)
        completed = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={partial}"],
            env=_pg_env(db),
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            partial.unlink(missing_ok=True)
            raise RecoveryError(f"pg_dump failed: {completed.stderr.strip()}")
        with conn.cursor() as cursor:
            manifest = _pg_manifest(cursor, database=db["NAME"], tool_version=tool_version)
        conn.rollback()
    # Renamed only when complete, so a backup file is never a half-written dump.
    partial.replace(path)
    return manifest


def _pg_database_exists(db: Mapping[str, Any], name: str) -> bool:
    """Asked of the database itself first, so a user without access to the ``postgres``
    maintenance database can restore into an existing one."""
    import psycopg

    try:
        pg_connect(db, dbname=name).close()
        return True
    except psycopg.OperationalError as error:
        if "does not exist" not in str(error):
            raise RecoveryError(f"Cannot connect to {_where(db)}: {error}") from error
    return False


def _pg_database_create(db: Mapping[str, Any], name: str) -> None:
    from psycopg import sql

    with pg_connect(db, dbname="postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _pg_database_drop(db: Mapping[str, Any], name: str) -> None:
    from psycopg import sql

    with pg_connect(db, dbname="postgres", autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _pg_contents(db: Mapping[str, Any], name: str) -> tuple[int, int]:
    """(tables, rows) in a database, to tell an empty one from one that holds data."""
    with pg_connect(db, dbname=name) as conn, conn.cursor() as cursor:
        tables = _pg_table_names(cursor)
        rows = 0
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - quoted names from the catalog
            rows += cursor.fetchone()[0]
        return len(tables), rows


def _pg_restore_into(*, path: Path, db: Mapping[str, Any], name: str) -> None:
    pg_restore = _pg_tool("pg_restore")
    with pg_connect(db, dbname=name) as conn:
        pg_versions_check(tool=pg_restore, server_version_num=conn.info.server_version)
    completed = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            # Grants name roles of the old server; Tocsin needs none beyond the owner's.
            "--no-privileges",
            # All or nothing: a failed restore leaves the database as it was.
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={name}",
            str(path),
        ],
        env=_pg_env(db, dbname=name),
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RecoveryError(
            f"pg_restore failed; the database was left as it was: {completed.stderr.strip()}"
        )


def _pg_manifest_of(db: Mapping[str, Any], name: str) -> Manifest:
    with pg_connect(db, dbname=name) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        with conn.cursor() as cursor:
            manifest = _pg_manifest(cursor, database=name)
        conn.rollback()
    return manifest


# --- SQLite ---------------------------------------------------------------------------


def _sqlite_path(db: Mapping[str, Any]) -> Path:
    name = str(db["NAME"])
    if name == ":memory:" or name.startswith("file:"):
        raise RecoveryError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(name)


def _sqlite_manifest(path: Path) -> Manifest:
    import hashlib

    conn = sqlite3.connect(path)
    try:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        tables = {}
        for name in names:
            quoted = '"' + name.replace('"', '""') + '"'
            hashes = sorted(
                hashlib.md5(repr(row).encode(), usedforsecurity=False).hexdigest()
                for row in conn.execute(f"SELECT * FROM {quoted}")  # noqa: S608 - catalog names
            )
            checksum = (
                hashlib.md5("".join(hashes).encode(), usedforsecurity=False).hexdigest()
                if hashes
                else ""
            )
            tables[name] = TableSummary(rows=len(hashes), checksum=checksum)
        migrations = []
        if "django_migrations" in tables:
            migrations = [
                row[0]
                for row in conn.execute(
                    "SELECT app || '.' || name FROM django_migrations ORDER BY 1"
                )
            ]
        version = conn.execute("SELECT sqlite_version()").fetchone()[0]
    finally:
        conn.close()
    return Manifest(
        engine="sqlite",
        database=str(path),
        taken_at=timezone.now().astimezone(UTC).isoformat(),
        tables=tables,
        migrations=migrations,
        server_version=version,
        tool_version=f"sqlite3 {version}",
    )


def _sqlite_copy(source: Path, target: Path) -> None:
    # The online backup API copies a consistent snapshot even while others write.
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)
    finally:
        dst.close()
        src.close()


def _sqlite_contents(path: Path) -> tuple[int, int]:
    if not path.exists():
        return 0, 0
    manifest = _sqlite_manifest(path)
    return len(manifest.tables), manifest.rows


# --- The services ---------------------------------------------------------------------


def database_backup(*, path: Path | None = None) -> BackupResult:
    """Back up the configured database to ``path`` (default: ``backup_default_path()``)
    and write its manifest next to it."""
    engine = _engine()
    db = settings.DATABASES["default"]
    path = Path(path) if path is not None else backup_default_path(engine=engine)
    if path.exists():
        raise RecoveryError(f"{path} already exists; choose another path.")
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    if engine == "postgresql":
        manifest = _pg_backup(path=path, db=db)
    else:
        partial = path.with_name(path.name + ".partial")
        partial.unlink(missing_ok=True)
        partial.touch(mode=0o600)
        _sqlite_copy(_sqlite_path(db), partial)
        partial.replace(path)
        manifest = _sqlite_manifest(path)
    # The rows hold password hashes, second-factor secrets and integration keys.
    path.chmod(0o600)
    manifest_path = manifest_path_for(path)
    manifest_path.write_text(manifest.to_json())
    return BackupResult(
        path=path,
        manifest_path=manifest_path,
        manifest=manifest,
        size_bytes=path.stat().st_size,
        seconds=time.monotonic() - started,
    )


def _engine_of_backup(path: Path) -> str:
    with path.open("rb") as file:
        head = file.read(16)
    if head.startswith(b"PGDMP"):
        return "postgresql"
    if head.startswith(b"SQLite format 3"):
        return "sqlite"
    raise RecoveryError(f"{path} is neither a pg_dump custom-format file nor an SQLite file.")


def _migration_drift(*, alias: str = "default") -> tuple[list[str], list[str]]:
    loader = MigrationLoader(connections[alias], ignore_no_migrations=True)
    applied = {f"{app}.{name}" for app, name in loader.applied_migrations}
    known = {f"{app}.{name}" for app, name in loader.graph.nodes}
    return sorted(known - applied), sorted(applied - known)


def database_restore(*, path: Path, force: bool = False) -> RestoreResult:
    """Restore a backup into the configured database (created if missing), then compare
    it with the backup's manifest. Refuses a database that already has tables unless
    ``force``: someone typing restore on the wrong host must not lose its data."""
    path = Path(path)
    if not path.is_file():
        raise RecoveryError(f"No backup at {path}.")
    engine = _engine()
    backup_engine = _engine_of_backup(path)
    if backup_engine != engine:
        raise RecoveryError(
            f"{path} is a {backup_engine} backup but the configured database is {engine}."
        )
    manifest = manifest_read(path=path)
    db = settings.DATABASES["default"]
    # Our own connections would hold locks the restore waits for, and must not see the
    # old tables afterwards.
    connections.close_all()
    started = time.monotonic()
    created = False
    if engine == "postgresql":
        name = db["NAME"]
        if not _pg_database_exists(db, name):
            _pg_database_create(db, name)
            created = True
        tables, rows = _pg_contents(db, name)
        _refuse_unless_forced(tables=tables, rows=rows, database=_where(db), force=force)
        _pg_restore_into(path=path, db=db, name=name)
        actual = _pg_manifest_of(db, name)
    else:
        target = _sqlite_path(db)
        created = not target.exists()
        tables, rows = _sqlite_contents(target)
        _refuse_unless_forced(tables=tables, rows=rows, database=str(target), force=force)
        target.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(path, target)
        name = str(target)
        actual = _sqlite_manifest(target)
    seconds = time.monotonic() - started
    differences = manifest_compare(expected=manifest, actual=actual) if manifest else []
    unapplied, unknown = _migration_drift()
    return RestoreResult(
        path=path,
        database=name,
        created_database=created,
        manifest=actual if manifest is None else manifest,
        manifest_found=manifest is not None,
        differences=differences,
        seconds=seconds,
        unapplied_migrations=unapplied,
        unknown_migrations=unknown,
    )


def database_check(*, path: Path) -> list[str]:
    """Compare the configured database with a backup's manifest (``restore --check``):
    the differences, empty when every table's rows match."""
    manifest = manifest_read(path=Path(path))
    if manifest is None:
        raise RecoveryError(f"No manifest at {manifest_path_for(Path(path))}.")
    db = settings.DATABASES["default"]
    if _engine() == "postgresql":
        actual = _pg_manifest_of(db, db["NAME"])
    else:
        actual = _sqlite_manifest(_sqlite_path(db))
    return manifest_compare(expected=manifest, actual=actual)


def backup_verify(*, path: Path) -> list[str]:
    """Prove a backup restores (``backup --verify``): restore it into a scratch database
    (PostgreSQL: ``<name>_verify_<random>`` on the same server, dropped after; SQLite: a
    copy next to it) and compare with its manifest. The differences; empty when good."""
    path = Path(path)
    manifest = manifest_read(path=path)
    if manifest is None:
        raise RecoveryError(f"No manifest at {manifest_path_for(path)}.")
    engine = _engine_of_backup(path)
    if engine == "postgresql":
        if _engine() != "postgresql":
            raise RecoveryError("Verifying a PostgreSQL backup needs a PostgreSQL server.")
        db = settings.DATABASES["default"]
        scratch = f"{db['NAME'][:40]}_verify_{uuid.uuid4().hex[:8]}"
        _pg_database_create(db, scratch)
        try:
            _pg_restore_into(path=path, db=db, name=scratch)
            actual = _pg_manifest_of(db, scratch)
        finally:
            _pg_database_drop(db, scratch)
        actual_for_compare = actual
    else:
        scratch_path = path.with_name(f".{path.name}.verify-{uuid.uuid4().hex[:8]}")
        try:
            _sqlite_copy(path, scratch_path)
            conn = sqlite3.connect(scratch_path)
            try:
                integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
            finally:
                conn.close()
            if integrity != "ok":
                return [f"integrity check: {integrity}"]
            actual_for_compare = _sqlite_manifest(scratch_path)
        finally:
            scratch_path.unlink(missing_ok=True)
    return manifest_compare(expected=manifest, actual=actual_for_compare)


def backup_latest(*, directory: Path | None = None) -> Path | None:
    """The newest backup under ``var/backups`` (or ``directory``)."""
    directory = directory or backup_default_path().parent
    if not directory.is_dir():
        return None
    found = sorted(
        p
        for p in directory.iterdir()
        if p.name.startswith("tocsin-") and p.suffix in (".dump", ".sqlite3")
    )
    return found[-1] if found else None


def _where(db: Mapping[str, Any]) -> str:
    return f"{db['NAME']} on {db.get('HOST') or 'the local socket'}:{db.get('PORT') or 5432}"


def _refuse_unless_forced(*, tables: int, rows: int, database: str, force: bool) -> None:
    if tables and not force:
        raise DatabaseNotEmpty(
            f"Refusing to restore: database {database} already has {tables} tables "
            f"({rows} rows), which the restore would replace. Check you are on the right "
            "host; to replace them, stop Tocsin's web, worker and beat processes and run restore "
            "again with --force."
        )


def format_bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"
