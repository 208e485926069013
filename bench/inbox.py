"""Inbox benchmark: how many stored Events API events ONE Celery worker (solo pool)
applies per second, for (a) repeats of a few keys whose alerts are open (each event a
deduplicated bump) and (b) all-distinct keys (each event a new alert declaring an
incident: paging, runbooks, the timeline).

The web tier is left out: the bench stores the events in the inbox itself (the rows
``POST /v2/enqueue`` writes, unapplied), publishes one drain task (what a request's
commit sends) and times the worker from the publish until the inbox is empty. The two
loads run in interleaved rounds (a, b, a, b, ...: the machine's speed drifts) and each
round's rate is printed with the spread. Also printed: the CPU the worker process and
its PostgreSQL backend spent per event (/proc), so the figure says where the time goes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_inbox \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/12 \\
        .venv/bin/python bench/inbox.py [--repeats 20000] [--distinct 300] [--rounds 3]

PostgreSQL and Redis on 127.0.0.1 only. Bounded: at most --repeats / --distinct events
per round (capped at 50,000 / 2,000) and --max-seconds per round. The broker database
is flushed before and after (use a Redis database of your own). Events earlier
(interrupted) runs left unapplied are dropped at the start.
"""

import argparse
import os
import re
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

DOCS = ROOT / "docs" / "alerts.md"
SECRET_KEY = "bench-" + secrets.token_hex(32)
POLL_SECONDS = 0.05


def _broker_url() -> str:
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("redis://127.0.0.1") and not url.startswith("redis://localhost"):
        sys.exit("Set CELERY_BROKER_URL to a Redis database of your own on 127.0.0.1 (flushed).")
    return url


def _purge_broker() -> None:
    import redis

    redis.Redis.from_url(_broker_url()).flushdb()


def _worker_env() -> dict[str, str]:
    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "CELERY_BROKER_URL": _broker_url(),
        "PYTHONPATH": str(ROOT),  # this checkout's code, whatever is installed
    }


def _setup():
    import django

    os.environ.update(
        {k: v for k, v in _worker_env().items() if k in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS")}
    )
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database (the benchmark is for PostgreSQL).")
    host = connection.settings_dict.get("HOST") or ""
    if host not in ("127.0.0.1", "localhost", "::1", ""):
        sys.exit("PostgreSQL on the loopback only.")
    call_command("migrate", verbosity=0)
    from incidents.alerts.models import AlertEvent
    from incidents.alerts.services.integrations import integration_create
    from oncall.teams.models import Team

    team, _ = Team.objects.get_or_create(slug="bench", defaults={"name": "Bench", "key": "BENCH"})
    AlertEvent.objects.filter(processed_at=None).delete()
    run = secrets.token_hex(4)
    # Storm grouping off, so every new key really declares an incident; no rate limit
    # (the events are stored by the bench, not received).
    integration, _ = integration_create(
        actor=None,
        team=team,
        name=f"bench-inbox-{run}",
        kind="events_v2",
        rate_limit_per_minute=0,
        storm_threshold_per_minute=0,
    )
    return integration, run


def _store(integration, dedup_keys: list[str], run: str) -> None:
    """Store events as ``POST /v2/enqueue`` does (parsed, without the routing key,
    unapplied), in bulk: the bench times the worker, not the web tier."""
    from django.utils import timezone

    from incidents.alerts.models import AlertEvent
    from incidents.alerts.parsers import events_v2

    now = timezone.now()
    rows = []
    for index, dedup_key in enumerate(dedup_keys):
        event = events_v2.parse_event(
            {
                "event_action": "trigger",
                "dedup_key": dedup_key,
                "payload": {
                    "summary": f"Disk almost full on {dedup_key}",
                    "source": dedup_key,
                    "severity": "warning",
                    "custom_details": {"free_bytes": index, "run": run},
                },
            }
        )
        rows.append(
            AlertEvent(
                integration=integration,
                action=event.action,
                dedup_key=event.dedup_key,
                payload=event.payload,
                received_at=now,
            )
        )
    AlertEvent.objects.bulk_create(rows, batch_size=2000)


def _waiting() -> int:
    from incidents.alerts.models import AlertEvent

    return AlertEvent.objects.filter(processed_at=None).count()


def _cpu_seconds(pids: list[int]) -> float:
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _database_backends() -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend connected to this database but ours
    (the worker's), found by their process title, which names the database."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database(), pg_backend_pid()")
        database, ours = cursor.fetchone()
    needle = f" {database} ".encode()
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if Path(f"/proc/{pid}/comm").read_bytes() != b"postgres\n" or int(pid) == ours:
                continue
            title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue  # gone meanwhile
        if needle in title:
            found[int(pid)] = _cpu_seconds([int(pid)])
    return found


class _BackendCpu:
    """The CPU the worker's database backends spend over a round. Celery closes the
    database connection around each task, so a backend may start and end within the
    round: it is sampled while the round runs, and one gone keeps its last sample."""

    def __init__(self) -> None:
        self.first = _database_backends()
        self.last = dict(self.first)

    def sample(self) -> None:
        for pid, cpu in _database_backends().items():
            self.first.setdefault(pid, 0.0)  # started during the round
            self.last[pid] = cpu

    def seconds(self) -> float:
        return sum(self.last[pid] - self.first[pid] for pid in self.last)


def _settle(worker: subprocess.Popen) -> None:
    """Wait until the worker is idle: the broker's queue empty (the tasks the last round's
    commits sent, e.g. pages, have run) and its CPU still, so rounds do not overlap."""
    import redis

    broker = redis.Redis.from_url(_broker_url())
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        before = _cpu_seconds([worker.pid])
        time.sleep(0.3)
        if not broker.llen("celery") and _cpu_seconds([worker.pid]) - before < 0.02:
            return


def _start_worker() -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=_worker_env(),
    )


def _drain(worker: subprocess.Popen, events: int, limit: int | None, max_seconds: float) -> dict:
    """Publish one drain task and time the worker until the inbox is empty."""
    from incidents.alerts.tasks import alert_inbox_drain

    _settle(worker)
    backend_cpu = _BackendCpu()
    worker_cpu = _cpu_seconds([worker.pid])
    started = time.perf_counter()
    alert_inbox_drain.apply_async(kwargs={"limit": limit} if limit else None)
    deadline = time.monotonic() + max_seconds
    left = events
    while left and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        backend_cpu.sample()
        left = _waiting()
    elapsed = time.perf_counter() - started
    backend_cpu.sample()
    worker_cpu = _cpu_seconds([worker.pid]) - worker_cpu
    if left:  # out of time: let the worker finish before the next round (bounded too)
        finish_by = time.monotonic() + max_seconds
        while _waiting() and time.monotonic() < finish_by:
            time.sleep(0.5)
        if _waiting():
            worker.terminate()
            sys.exit(f"The worker left {_waiting()} events unapplied; stopped.")
    applied = events - left
    print(f"  {applied} events in {elapsed:.1f} s", file=sys.stderr)
    return {
        "events": applied,
        "seconds": elapsed,
        "per_second": applied / elapsed,
        "worker_cpu": worker_cpu,
        "db_cpu": backend_cpu.seconds(),
    }


def _merge(parts: list[dict]) -> dict:
    events = sum(p["events"] for p in parts)
    seconds = sum(p["seconds"] for p in parts)
    rates = sorted(p["per_second"] for p in parts)
    return {
        "events": events,
        "seconds": seconds,
        "per_second": events / seconds,
        "rates": rates,
        "worker_ms": sum(p["worker_cpu"] for p in parts) * 1000 / max(events, 1),
        "db_ms": sum(p["db_cpu"] for p in parts) * 1000 / max(events, 1),
    }


def _row(name: str, figures: dict) -> str:
    rates = figures["rates"]
    return (
        f"| {name} | {figures['events']} | {figures['seconds']:.1f} | "
        f"**{figures['per_second']:.0f}** | {rates[0]:.0f}–{rates[-1]:.0f} "
        f"(median {statistics.median(rates):.0f}) | {figures['worker_ms']:.2f} | "
        f"{figures['db_ms']:.2f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=20000, help="repeat events per round")
    parser.add_argument("--keys", type=int, default=5, help="keys the repeats are spread over")
    parser.add_argument(
        "--distinct", type=int, default=300, help="new-key events per round (each an incident)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of each load")
    parser.add_argument("--limit", type=int, default=None, help="events per batch (task default)")
    parser.add_argument("--max-seconds", type=float, default=60, help="time bound per round")
    parser.add_argument("--write-docs", action="store_true", help=f"update {DOCS.name}")
    options = parser.parse_args()
    repeats = max(100, min(options.repeats, 50_000))
    distinct = max(10, min(options.distinct, 2_000))
    keys = max(1, min(options.keys, 100))

    load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())
    integration, run = _setup()
    _purge_broker()
    worker = _start_worker()
    try:
        # Warm-up (imports, connections) that also opens the repeated keys' alerts.
        _store(integration, [f"{run}-hot-{k}" for k in range(keys)], run)
        _store(integration, [f"{run}-warm-{n}" for n in range(20)], run)
        _drain(worker, keys + 20, options.limit, 120)
        repeat_parts, distinct_parts = [], []
        for round_ in range(max(1, options.rounds)):
            _store(integration, [f"{run}-hot-{n % keys}" for n in range(repeats)], run)
            repeat_parts.append(_drain(worker, repeats, options.limit, options.max_seconds))
            _store(integration, [f"{run}-new-{round_}-{n}" for n in range(distinct)], run)
            distinct_parts.append(_drain(worker, distinct, options.limit, options.max_seconds))
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        _purge_broker()

    from incidents.alerts.models import Alert

    hot_counts = sorted(
        Alert.objects.filter(integration=integration, dedup_key__contains="-hot-").values_list(
            "count", flat=True
        )
    )
    incidents = Alert.objects.filter(
        integration=integration, dedup_key__contains="-new-", incident__isnull=False
    ).count()
    repeated, new = _merge(repeat_parts), _merge(distinct_parts)
    lines = [
        f"Inbox benchmark ({time.strftime('%Y-%m-%d %H:%M')} UTC, {os.cpu_count()} cores, "
        f"ONE Celery worker (solo pool), PostgreSQL and Redis on loopback, batch "
        f"{options.limit or 'default'}, load average before: {load_before})",
        "",
        "| load | events | seconds | events/s | per round | worker CPU ms/event | "
        "PostgreSQL backend CPU ms/event |",
        "| --- | ---: | ---: | ---: | --- | ---: | ---: |",
        _row(f"(a) repeats of {keys} open alerts (deduplicated)", repeated),
        _row("(b) all-distinct keys, each declaring an incident", new),
        "",
        f"Seconds from publishing one drain task to an empty inbox, {len(repeat_parts)} "
        f"interleaved rounds of each load. Checked after the run: the {keys} repeated "
        f"alerts counted {hot_counts[0]}–{hot_counts[-1]} events each, "
        f"{incidents} incidents declared for the distinct keys.",
    ]
    report = "\n".join(lines)
    print(report)
    if options.write_docs:
        text = DOCS.read_text()
        block = f"<!-- bench-inbox:start -->\n{report}\n<!-- bench-inbox:end -->"
        text = re.sub(
            r"<!-- bench-inbox:start -->.*?<!-- bench-inbox:end -->", block, text, flags=re.S
        )
        DOCS.write_text(text)
        print(f"\nwritten to {DOCS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
