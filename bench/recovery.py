"""Backup and restore times and sizes for the demo database: the measured RTO figure of
docs/operations.md.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/recovery.py \\
        [--rounds 3] [--prefix tocsin_bench_recovery_]
    .venv/bin/python bench/recovery.py            # no DATABASE_URL: SQLite

Creates a scratch database (``<prefix><random>`` on DATABASE_URL's server, or an SQLite
file in a temporary folder), migrates it and loads the demo (``seed_demo``), then, each
round: ``manage.py backup``, drop the database, ``manage.py restore`` into nothing (the
restore creates it and checks every table against the manifest). Every step runs as its
own ``manage.py`` process, as a person would run it, so the wall times include start-up.
The scratch database is dropped at the end. Prints figures; asserts nothing about speed.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def _manage(env: dict[str, str], *args: str) -> tuple[float, str]:
    started = time.monotonic()
    completed = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.monotonic() - started
    if completed.returncode != 0:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{completed.stdout}\n{completed.stderr}")
    return seconds, completed.stdout


def _inner_seconds(output: str) -> float:
    found = re.search(r"in ([0-9.]+) s\.", output)
    return float(found.group(1)) if found else float("nan")


def _spread(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.2f} s"
    return (
        f"median {statistics.median(values):.2f} s (min {min(values):.2f}, max {max(values):.2f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--prefix", default="tocsin_bench_recovery_")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    postgres = url.startswith(("postgres://", "postgresql://"))
    work = Path(tempfile.mkdtemp(prefix="tocsin-bench-recovery-"))
    if postgres:
        import psycopg

        name = f"{args.prefix}{uuid.uuid4().hex[:10]}"
        parts = urlsplit(url)
        scratch_url = urlunsplit(parts._replace(path=f"/{name}"))
        admin_url = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    else:
        name = str(work / "tocsin.sqlite3")
        scratch_url = f"sqlite:///{name}"
    env = {
        **os.environ,
        "DATABASE_URL": scratch_url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        # The demo's tasks go to a broker folder of the bench's own, never a real worker.
        "TOCSIN_VAR_DIR": str(work / "var"),
    }

    def drop() -> None:
        if postgres:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{name}{suffix}").unlink(missing_ok=True)

    try:
        print(f"engine: {'PostgreSQL' if postgres else 'SQLite'}; scratch database {name}")
        seconds, _ = _manage(env, "migrate", "--noinput")
        print(f"migrate: {seconds:.1f} s")
        seconds, _ = _manage(env, "seed_demo")
        print(f"seed_demo: {seconds:.1f} s")
        backups, restores, backup_inner, restore_inner = [], [], [], []
        summary = ""
        size = 0
        for round_number in range(1, args.rounds + 1):
            path = work / f"round-{round_number}{'.dump' if postgres else '.sqlite3'}"
            seconds, out = _manage(env, "backup", str(path))
            backups.append(seconds)
            backup_inner.append(_inner_seconds(out))
            size = path.stat().st_size
            summary = out.splitlines()[0]
            drop()
            seconds, out = _manage(env, "restore", str(path))
            restores.append(seconds)
            restore_inner.append(_inner_seconds(out))
            if "Every table matches the manifest" not in out:
                sys.exit(f"round {round_number}: the restore did not match:\n{out}")
            print(
                f"round {round_number}: backup {backups[-1]:.2f} s wall "
                f"({backup_inner[-1]:.2f} s in the command), restore {restores[-1]:.2f} s wall "
                f"({restore_inner[-1]:.2f} s in the command, checked against the manifest)"
            )
        print(summary)
        print(f"backup file: {size / 1024:.0f} KB; manifest {path.name}.manifest.json")
        print(f"backup  {_spread(backups)} wall; {_spread(backup_inner)} in the command")
        print(f"restore {_spread(restores)} wall; {_spread(restore_inner)} in the command")
    finally:
        drop()
        for leftover in sorted(work.rglob("*"), reverse=True):
            leftover.unlink() if leftover.is_file() else leftover.rmdir()
        work.rmdir()


if __name__ == "__main__":
    main()
