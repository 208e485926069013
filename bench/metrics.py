"""Time the metrics computation over 100,000 incidents.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tocsin_wt7 \
        .venv/bin/python bench/metrics.py [--incidents 100000] [--repeat 5]

Migrates the database, replaces the incidents of a "BENCH" team with N incidents spread
over 52 weeks (bulk insert: the bench measures reads, not the lifecycle service), then
times ``GET /api/v1/metrics/`` for the whole year and for the last 28 days, and prints
the figures (best and median of --repeat runs) and the number of SQL queries.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")

import django

django.setup()

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.models import Incident, Resolution, Severity
from oncall.teams.models import Team, TeamMembership


def seed(count: int) -> tuple[Team, object]:
    team, _ = Team.objects.get_or_create(key="BENCH", defaults={"name": "Bench", "slug": "bench"})
    user, _ = get_user_model().objects.get_or_create(username="bench-user")
    TeamMembership.objects.get_or_create(team=team, user=user, defaults={"role": "manager"})
    if Incident.objects.filter(team=team).count() == count:
        return team, user  # already seeded by a previous run
    Incident.objects.filter(team=team).delete()
    severities = list(Severity.objects.order_by("level"))
    rng = random.Random(7)
    now = timezone.now()
    resolutions = [Resolution.FIXED] * 8 + [Resolution.FALSE_POSITIVE, Resolution.DUPLICATE]
    batch = []
    for number in range(1, count + 1):
        triggered = now - timedelta(seconds=rng.randint(60, 52 * 7 * 86400))
        acked = (
            triggered + timedelta(seconds=rng.randint(10, 3600)) if rng.random() < 0.97 else None
        )
        resolved = (
            (acked or triggered) + timedelta(seconds=rng.randint(60, 3 * 86400))
            if acked and rng.random() < 0.95
            else None
        )
        if resolved and resolved > now:
            resolved = None
        batch.append(
            Incident(
                team=team,
                number=number,
                title=f"Bench incident {number}",
                severity=rng.choice(severities),
                status="resolved" if resolved else ("acknowledged" if acked else "triggered"),
                resolution=rng.choice(resolutions) if resolved else "",
                triggered_at=triggered,
                acknowledged_at=acked,
                resolved_at=resolved,
                source="bench",
            )
        )
        if len(batch) == 5000:
            Incident.objects.bulk_create(batch)
            batch = []
    Incident.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE incidents_incident")
    return team, user


def _backend_cpu_seconds(pid: int | None) -> float:
    """CPU time used so far by the PostgreSQL backend serving us (when it runs on this
    machine): unlike wall time it does not grow when other work competes for the CPU."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(client: Client, params: dict, repeat: int) -> dict:
    pid = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
    wall, cpu = [], []
    body: dict = {}
    queries = 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            db_cpu = _backend_cpu_seconds(pid)
            own_cpu = time.process_time()
            start = time.perf_counter()
            response = client.get("/api/v1/metrics/", params)
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - own_cpu + _backend_cpu_seconds(pid) - db_cpu)
        assert response.status_code == 200, response.content[:500]
        body = response.json()
        queries = len(ctx.captured_queries)
    return {"wall": wall, "cpu": cpu, "queries": queries, "body": body}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    team, user = seed(args.incidents)
    print(
        f"database: {connection.vendor}; {args.incidents} incidents seeded (or reused) "
        f"in {time.perf_counter() - start:.1f} s"
    )
    client = Client()
    client.force_login(user)
    now = timezone.now()
    year = {
        "team": team.pk,
        "since": (now - timedelta(weeks=53)).isoformat(),
        "until": now.isoformat(),
    }
    for label, params in (
        ("whole year (all incidents, 53 weeks)", year),
        ("default period (last 28 days)", {"team": team.pk}),
    ):
        r = timed(client, params, args.repeat)
        print(
            f"GET /api/v1/metrics/ {label}: incident_count={r['body']['incident_count']}, "
            f"wall best {min(r['wall']) * 1000:.0f} ms / median "
            f"{statistics.median(r['wall']) * 1000:.0f} ms, CPU (Django + PostgreSQL backend) "
            f"best {min(r['cpu']) * 1000:.0f} ms / median {statistics.median(r['cpu']) * 1000:.0f} ms "
            f"over {args.repeat} runs, {r['queries']} SQL queries per request; "
            f"load average {os.getloadavg()[0]:.1f}"
        )


if __name__ == "__main__":
    main()
