"""Benchmark: the escalation sweep with 10,000 incidents escalating.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tocsin_bench \
        .venv/bin/python bench/escalation.py [--incidents 10000] [--window 60] [--interval 15]

Prints two figures:

1. Throughput: every incident's step is due at once; one sweep (``run_due_escalations``)
   runs them all. Reported as due steps executed per second by one sweep.
2. Lateness: the steps fall due spread evenly over ``--window`` seconds of real time and a
   beat-like loop runs the sweep every ``--interval`` seconds (as Celery beat does, every
   15 s). Every ETA task is assumed lost, so this is the safety net's worst case; with the ETA
   tasks delivered, steps run within the worker's latency. Lateness of a step = when its
   page was recorded minus when it was due; p50 and p99 in seconds.

Setup bypasses ``incident_create`` (rows are bulk-inserted with their escalation state) so
that only the engine is timed. Each step pages three users of a rule (one by user target, the
rest by a whole-team target) or whoever is on call on a schedule, through email contact
methods; deliveries are enqueued to an in-memory broker and not sent. The script creates and
deletes its own team ("BENCH"); it runs migrations first. Bounded: at most --incidents rows
and --window + one sweep of real time.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from config.celery import app
from incidents.models import Incident, Severity, TimelineEvent
from incidents.paging.models import EscalationState, IncidentEscalation
from incidents.paging.services.snapshot import policy_snapshot
from incidents.paging.services.steps import escalation_run_due
from oncall.contacts.models import ContactMethod
from oncall.policies.models import EscalationPolicy, EscalationRule, EscalationTarget
from oncall.schedules.models import Schedule, ScheduleLayer, ScheduleLayerMember
from oncall.teams.models import Team, TeamMembership


def setup(count: int) -> tuple[Team, dict]:
    cleanup()
    User = get_user_model()
    team = Team.objects.create(name="Bench", slug="bench", key="BENCH")
    users = []
    for n in range(3):
        user, _ = User.objects.get_or_create(
            username=f"bench{n}", defaults={"email": f"bench{n}@example.com"}
        )
        TeamMembership.objects.create(team=team, user=user, role="manager" if n == 0 else "member")
        ContactMethod.objects.get_or_create(
            user=user, kind="email", defaults={"address": user.email, "min_interval_seconds": 0}
        )
        users.append(user)
    schedule = Schedule.objects.create(team=team, name="Bench rota", time_zone="Europe/London")
    layer = ScheduleLayer.objects.create(
        schedule=schedule,
        rotation="daily",
        handoff_time="09:00",
        start=date(2026, 1, 5),
        restrictions=[{"weekdays": [1, 2, 3, 4, 5], "start": "08:00", "end": "20:00"}],
    )
    for position, user in enumerate(users):
        ScheduleLayerMember.objects.create(layer=layer, user=user, position=position)
    ScheduleLayer.objects.create(
        schedule=schedule,
        position=1,
        rotation="weekly",
        handoff_time="09:00",
        start=date(2026, 1, 5),
    )
    ScheduleLayerMember.objects.create(layer=schedule.layers.get(position=1), user=users[1])
    policy = EscalationPolicy.objects.create(team=team, name="Bench", repeat=9)
    # Long delays: no incident falls due a second time while a measurement runs.
    rule = EscalationRule.objects.create(policy=policy, position=0, delay_minutes=30)
    EscalationTarget.objects.create(rule=rule, type="user", user=users[0])
    EscalationTarget.objects.create(rule=rule, type="team", team=team)
    rule = EscalationRule.objects.create(policy=policy, position=1, delay_minutes=30)
    EscalationTarget.objects.create(rule=rule, type="schedule", schedule=schedule)
    return team, policy_snapshot(policy)


def cleanup() -> None:
    IncidentEscalation.objects.filter(incident__team__key="BENCH").delete()
    Incident.objects.filter(team__key="BENCH").delete()
    Team.objects.filter(key="BENCH").delete()


def create_incidents(team: Team, snapshot: dict, dues: list) -> dict[int, object]:
    severity = Severity.objects.order_by("level").first()
    now = timezone.now()
    incidents = Incident.objects.bulk_create(
        [
            Incident(
                team=team,
                number=n + 1,
                title=f"Bench incident {n}",
                severity=severity,
                triggered_at=now,
            )
            for n in range(len(dues))
        ],
        batch_size=2000,
    )
    IncidentEscalation.objects.bulk_create(
        [
            IncidentEscalation(
                incident=incident,
                policy_snapshot=snapshot,
                state=EscalationState.ACTIVE,
                next_escalation_at=due,
                started_at=now,
                token=f"{incident.pk:032x}",
            )
            for incident, due in zip(incidents, dues, strict=True)
        ],
        batch_size=2000,
    )
    return {incident.pk: due for incident, due in zip(incidents, dues, strict=True)}


def lateness(due_by_incident: dict) -> list[float]:
    events = TimelineEvent.objects.filter(
        incident_id__in=list(due_by_incident), kind="paged"
    ).values_list("incident_id", "created_at")
    return [(created - due_by_incident[pk]).total_seconds() for pk, created in events]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--interval", type=float, default=15.0)
    args = parser.parse_args()
    count = min(args.incidents, 50_000)

    app.conf.broker_url, app.conf.task_always_eager = "memory://", False
    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor}; incidents: {count}")

    # 1. Throughput: all due now, one sweep.
    team, snapshot = setup(count)
    past = timezone.now() - timedelta(seconds=1)
    due_by_incident = create_incidents(team, snapshot, [past] * count)
    started = time.perf_counter()
    executed = escalation_run_due()
    elapsed = time.perf_counter() - started
    print(
        f"throughput: one sweep executed {executed} due steps in {elapsed:.1f} s "
        f"= {executed / elapsed:.0f} steps/s"
    )
    late = lateness(due_by_incident)
    print(
        f"  (all due at once: lateness p50 {percentile(late, 0.5):.1f} s, "
        f"p99 {percentile(late, 0.99):.1f} s)"
    )
    cleanup()

    # 2. Lateness: due spread over the window, sweep every `interval` seconds.
    team, snapshot = setup(count)
    start = timezone.now() + timedelta(seconds=1)
    dues = [start + timedelta(seconds=args.window * n / count) for n in range(count)]
    due_by_incident = create_incidents(team, snapshot, dues)
    end = dues[-1] + timedelta(seconds=args.interval)
    sweeps = 0
    total = 0
    while timezone.now() < end + timedelta(seconds=args.interval):
        tick = time.perf_counter()
        total += escalation_run_due()
        sweeps += 1
        if total >= count:
            break
        time.sleep(max(0.0, args.interval - (time.perf_counter() - tick)))
    late = lateness(due_by_incident)
    print(
        f"lateness (sweep every {args.interval:.0f} s, {count} steps due over "
        f"{args.window:.0f} s, {sweeps} sweeps, ETA tasks all lost): "
        f"p50 {percentile(late, 0.5):.1f} s, p99 {percentile(late, 0.99):.1f} s, "
        f"max {max(late):.1f} s, mean {statistics.mean(late):.1f} s"
    )
    cleanup()


if __name__ == "__main__":
    main()
