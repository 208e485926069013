"""``manage.py restore PATH``: restore a backup made by ``manage.py backup``."""

from pathlib import Path

import psycopg
from django.core.management.base import BaseCommand, CommandError

from common.errors import DomainError
from readiness.recovery.services import database_check, database_restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into the configured database (created "
        "if missing), then compare every table with the backup's manifest. Refuses a "
        "database that already has tables unless --force. Stop Tocsin's web, worker and "
        "beat processes first. With --check, only compare the database with the manifest."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", help="The backup file (its .manifest.json next to it).")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace a database that already has tables.",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="Restore nothing: compare the configured database with the manifest.",
        )

    def handle(self, *args, path: str, force: bool, check: bool, **options) -> None:
        try:
            if check:
                self._check(Path(path))
                return
            result = database_restore(path=Path(path), force=force)
        except DomainError as error:
            raise CommandError(error.detail) from error
        except psycopg.Error as error:
            # A database that cannot be reached is the likeliest failure at 3 a.m.: say
            # so in one line, not a traceback.
            raise CommandError(f"Database error: {error}".strip()) from error
        manifest = result.manifest
        created = " (created it)" if result.created_database else ""
        self.stdout.write(
            f"Restored {result.path} into {result.database}{created}: "
            f"{len(manifest.tables)} tables, {manifest.rows} rows, in {result.seconds:.1f} s."
        )
        if not result.manifest_found:
            self.stdout.write(
                self.style.WARNING("No manifest next to the backup: rows were not compared.")
            )
        elif result.differences:
            raise CommandError(
                "The restored database does NOT match the backup's manifest:\n  "
                + "\n  ".join(result.differences)
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(f"Every table matches the manifest (taken {manifest.taken_at}).")
            )
        if result.unapplied_migrations:
            self.stdout.write(
                self.style.WARNING(
                    f"{len(result.unapplied_migrations)} migrations of this code are not "
                    "applied in the restored database: run `manage.py migrate` before "
                    "starting Tocsin."
                )
            )
        if result.unknown_migrations:
            self.stdout.write(
                self.style.WARNING(
                    f"The backup has {len(result.unknown_migrations)} migrations this code "
                    "does not know (" + ", ".join(result.unknown_migrations[:5]) + "): deploy "
                    "the version of Tocsin the backup came from before starting it."
                )
            )
        self.stdout.write("Next: start the web, worker and beat processes.")

    def _check(self, path: Path) -> None:
        differences = database_check(path=path)
        if differences:
            raise CommandError(
                "The database does NOT match the backup's manifest:\n  " + "\n  ".join(differences)
            )
        self.stdout.write(self.style.SUCCESS("Every table matches the backup's manifest."))
