"""Backup and restore of Tocsin's own database, end to end: a scratch database is migrated
and seeded with the demo data, backed up with `manage.py backup`, dropped, restored with
`manage.py restore`, and every table's rows and the on-call answers (who is on call for
each schedule at several instants, computed by the real selectors and rotation code) must
be identical. Each step runs in its own process, as a person at a shell would run it.
The pytest test database is not involved."""

import json
import os
import sqlite3
import stat
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings

from readiness.recovery.services import (
    Manifest,
    RecoveryError,
    TableSummary,
    manifest_compare,
    pg_versions_check,
)

ROOT = Path(__file__).resolve().parents[2]
SCRATCH_PREFIX = "tocsin_h_recovery_"

# Who is on call for every schedule at each instant (env RECOVERY_INSTANTS, ISO 8601),
# through the selectors the paging engine uses. Printed as one JSON line.
ONCALL_SNIPPET = """
import json, os
from datetime import datetime
from oncall.schedules.selectors import schedule_oncall_user_id, schedule_queryset
instants = [datetime.fromisoformat(s) for s in json.loads(os.environ["RECOVERY_INSTANTS"])]
answers = {}
for schedule in schedule_queryset().order_by("id"):
    users = {m.user_id: m.user.username for l in schedule.layers.all() for m in l.members.all()}
    users.update({o.user_id: o.user.username for o in schedule.overrides.all()})
    row = []
    for at in instants:
        user_id = schedule_oncall_user_id(schedule=schedule, at=at)
        row.append(None if user_id is None else f"{user_id}:{users.get(user_id)}")
    answers[f"{schedule.pk}:{schedule.team.slug}:{schedule.name}"] = row
print("ONCALL " + json.dumps(answers, sort_keys=True))
"""


def _instants() -> list[str]:
    # Around now, because the demo builds its rotations relative to the day it runs.
    base = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    hours = (-200, -50, -13, -1, 0, 3, 9, 17, 30, 75, 170, 400)
    return [(base + timedelta(hours=h, minutes=7)).isoformat() for h in hours]


def _env(tmp_path: Path, database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        # The filesystem broker and default backups land in the test's own folder.
        "TOCSIN_VAR_DIR": str(tmp_path / "var"),
        "PYTHONPATH": str(ROOT),
    }


def _manage(env: dict[str, str], *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    completed = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if ok:
        assert completed.returncode == 0, (args, completed.stdout, completed.stderr)
    return completed


def _oncall_answers(env: dict[str, str], instants: list[str]) -> dict[str, list]:
    completed = _manage(
        {**env, "RECOVERY_INSTANTS": json.dumps(instants)},
        "shell",
        "--no-imports",
        "-c",
        ONCALL_SNIPPET,
    )
    line = next(x for x in completed.stdout.splitlines() if x.startswith("ONCALL "))
    return json.loads(line.removeprefix("ONCALL "))


def _assert_meaningful(answers: dict[str, list]) -> None:
    assert len(answers) >= 2, answers
    assert sum(1 for row in answers.values() for who in row if who) >= 10, answers


# --- PostgreSQL -------------------------------------------------------------------------


def _pg_connect(dbname: str):
    import psycopg

    db = settings.DATABASES["default"]
    return psycopg.connect(
        dbname=dbname,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        autocommit=True,
    )


def _pg_url(dbname: str) -> str:
    db = settings.DATABASES["default"]
    return (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{dbname}"
    )


def _pg_tables(dbname: str) -> dict[str, tuple[int, str]]:
    """Every table's row count and a checksum of its rows, computed here, not by the code
    under test."""
    with _pg_connect(dbname) as conn:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT quote_ident(table_name) FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1"
            )
        ]
        return {
            name: tuple(
                conn.execute(
                    f"SELECT count(*), coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') FROM {name} t"  # noqa: S608 - catalog names
                ).fetchone()
            )
            for name in names
        }


def _pg_drop_scratch(prefix: str) -> None:
    with _pg_connect("postgres") as conn:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s", [prefix + "%"]
            )
        ]
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_scratch():
    """A database of our own on the test's PostgreSQL server, dropped (with any
    ``_verify_`` databases made from it) even when the test fails."""
    name = f"{SCRATCH_PREFIX}{uuid.uuid4().hex[:10]}"
    with _pg_connect("postgres") as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        _pg_drop_scratch(name)


@pytest.mark.postgres
def test_postgres_backup_drop_restore_gives_back_every_row_and_the_same_oncall(
    tmp_path, pg_scratch
):
    env = _env(tmp_path, _pg_url(pg_scratch))
    _manage(env, "migrate", "--noinput")
    _manage(env, "seed_demo")
    instants = _instants()
    tables_before = _pg_tables(pg_scratch)
    oncall_before = _oncall_answers(env, instants)
    _assert_meaningful(oncall_before)
    assert len(tables_before) > 50
    assert sum(rows for rows, _ in tables_before.values()) > 1000

    backup = tmp_path / "tocsin.dump"
    out = _manage(env, "backup", str(backup)).stdout
    assert f"{len(tables_before)} tables" in out
    assert f"{sum(rows for rows, _ in tables_before.values())} rows" in out
    manifest = json.loads((tmp_path / "tocsin.dump.manifest.json").read_text())
    assert {n.strip('"') for n in tables_before} == set(manifest["tables"])
    assert "oncall.0001_initial" in manifest["migrations"]
    assert backup.read_bytes()[:5] == b"PGDMP"
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600  # it holds secrets

    # The backup proves itself on a scratch copy of its own.
    assert "matches its manifest" in _manage(env, "backup", "--verify", str(backup)).stdout

    with _pg_connect("postgres") as conn:
        conn.execute(f'DROP DATABASE "{pg_scratch}" WITH (FORCE)')

    out = _manage(env, "restore", str(backup)).stdout
    assert "(created it)" in out
    assert "Every table matches the manifest" in out
    assert _pg_tables(pg_scratch) == tables_before
    assert _oncall_answers(env, instants) == oncall_before
    assert "Every table matches" in _manage(env, "restore", "--check", str(backup)).stdout

    # Restoring over a database that holds data is refused without --force, and changes
    # nothing.
    refused = _manage(env, "restore", str(backup), ok=False)
    assert refused.returncode != 0
    assert "Refusing to restore" in refused.stderr
    assert "--force" in refused.stderr
    with _pg_connect(pg_scratch) as conn:
        conn.execute("UPDATE auth_user SET first_name = 'Changed' WHERE username = 'marco'")
    changed = _manage(env, "restore", "--check", str(backup), ok=False)
    assert changed.returncode != 0
    assert "auth_user: same row count" in changed.stderr

    out = _manage(env, "restore", "--force", str(backup)).stdout
    assert "(created it)" not in out
    assert _pg_tables(pg_scratch) == tables_before


@pytest.mark.postgres
def test_a_pg_dump_older_than_the_server_is_refused(tmp_path):
    tool = tmp_path / "pg_dump"
    tool.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 13.9'\n")
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    with pytest.raises(RecoveryError, match="postgresql-client-15"):
        pg_versions_check(tool=str(tool), server_version_num=150020)
    assert pg_versions_check(tool="/usr/bin/pg_dump", server_version_num=150020).startswith(
        "pg_dump "
    )


# --- SQLite -----------------------------------------------------------------------------


def _sqlite_tables(path: Path) -> dict[str, list]:
    conn = sqlite3.connect(path)
    try:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        return {
            name: sorted(map(repr, conn.execute(f'SELECT * FROM "{name}"')))  # noqa: S608
            for name in names
        }
    finally:
        conn.close()


def test_sqlite_backup_delete_restore_gives_back_every_row_and_the_same_oncall(tmp_path):
    database = tmp_path / "tocsin.sqlite3"
    env = _env(tmp_path, f"sqlite:///{database}")
    _manage(env, "migrate", "--noinput")
    _manage(env, "seed_demo")
    instants = _instants()
    tables_before = _sqlite_tables(database)
    oncall_before = _oncall_answers(env, instants)
    _assert_meaningful(oncall_before)

    # No path: the default place and name.
    out = _manage(env, "backup").stdout
    backups = sorted((tmp_path / "var" / "backups").glob("tocsin-*Z.sqlite3"))
    assert len(backups) == 1, out
    backup = backups[0]
    assert (backup.parent / (backup.name + ".manifest.json")).exists()
    assert "matches its manifest" in _manage(env, "backup", "--verify").stdout

    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    out = _manage(env, "restore", str(backup)).stdout
    assert "Every table matches the manifest" in out
    assert _sqlite_tables(database) == tables_before
    assert _oncall_answers(env, instants) == oncall_before

    refused = _manage(env, "restore", str(backup), ok=False)
    assert refused.returncode != 0
    assert "Refusing to restore" in refused.stderr
    assert _sqlite_tables(database) == tables_before

    conn = sqlite3.connect(database)
    with conn:
        conn.execute("UPDATE auth_user SET first_name = 'Changed' WHERE username = 'marco'")
    conn.close()
    assert "auth_user" in _manage(env, "restore", "--check", str(backup), ok=False).stderr
    assert "Every table matches" in _manage(env, "restore", "--force", str(backup)).stdout
    assert _sqlite_tables(database) == tables_before


def test_restore_refuses_a_backup_of_the_other_engine(tmp_path):
    fake = tmp_path / "tocsin.dump"
    fake.write_bytes(b"PGDMP\x01\x0e\x00")
    env = _env(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite3'}")
    refused = _manage(env, "restore", str(fake), ok=False)
    assert refused.returncode != 0
    assert "is a postgresql backup but the configured database is sqlite" in refused.stderr


def test_manifest_compare_names_each_table_that_differs():
    def manifest(tables: dict[str, TableSummary], migrations: list[str]) -> Manifest:
        return Manifest(
            engine="postgresql",
            database="tocsin",
            taken_at="2026-03-02T10:00:00+00:00",
            tables=tables,
            migrations=migrations,
        )

    backup = manifest(
        {
            "a": TableSummary(rows=2, checksum="x"),
            "b": TableSummary(rows=1, checksum="y"),
            "c": TableSummary(rows=5, checksum="z"),
        },
        ["oncall.0001_initial"],
    )
    assert manifest_compare(expected=backup, actual=backup) == []
    now = manifest(
        {
            "a": TableSummary(rows=2, checksum="other"),
            "b": TableSummary(rows=3, checksum="y"),
            "d": TableSummary(rows=1, checksum="w"),
        },
        [],
    )
    assert manifest_compare(expected=backup, actual=now) == [
        "a: same row count (2) but different contents",
        "b: 3 rows, the backup had 1",
        "c: missing (5 rows in the backup)",
        "d: not in the backup (1 rows now)",
        "django_migrations: the applied migrations differ",
    ]
