"""``manage.py backup [PATH]``: back up Tocsin's database (see docs/operations.md)."""

from pathlib import Path

import psycopg
from django.core.management.base import BaseCommand, CommandError

from common.errors import DomainError
from readiness.recovery.services import (
    backup_latest,
    backup_verify,
    database_backup,
    format_bytes,
)


class Command(BaseCommand):
    help = (
        "Back up the database: pg_dump (custom format) on PostgreSQL, a consistent copy on "
        "SQLite, with a manifest of every table's rows next to it. Default path: "
        "var/backups/tocsin-<UTC timestamp>.dump (.sqlite3 on SQLite). With --verify, "
        "restore a backup into a scratch database and compare it with its manifest instead."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", nargs="?", help="Where to write the backup.")
        parser.add_argument(
            "--verify",
            action="store_true",
            help="Check an existing backup (PATH, or the newest in var/backups) restores "
            "and matches its manifest; writes nothing.",
        )

    def handle(self, *args, path: str | None, verify: bool, **options) -> None:
        try:
            if verify:
                self._verify(Path(path) if path else backup_latest())
                return
            result = database_backup(path=Path(path) if path else None)
        except DomainError as error:
            raise CommandError(error.detail) from error
        except psycopg.Error as error:
            # A database that cannot be reached is the likeliest failure at 3 a.m.: say
            # so in one line, not a traceback.
            raise CommandError(f"Database error: {error}".strip()) from error
        manifest = result.manifest
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up {manifest.engine} database {manifest.database}: "
                f"{len(manifest.tables)} tables, {manifest.rows} rows, "
                f"{len(manifest.migrations)} migrations applied, in {result.seconds:.1f} s."
            )
        )
        self.stdout.write(f"  backup:   {result.path} ({format_bytes(result.size_bytes)})")
        self.stdout.write(f"  manifest: {result.manifest_path}")
        self.stdout.write(
            "Copy both files off this host. Restore with: manage.py restore " + str(result.path)
        )

    def _verify(self, path: Path | None) -> None:
        if path is None:
            raise CommandError("No backup given and none found in var/backups.")
        differences = backup_verify(path=path)
        if differences:
            raise CommandError(
                f"{path} does NOT match its manifest:\n  " + "\n  ".join(differences)
            )
        self.stdout.write(
            self.style.SUCCESS(f"{path} restores and matches its manifest, table by table.")
        )
