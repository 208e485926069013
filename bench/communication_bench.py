"""Benchmarks for runbooks and communication. Prints figures; asserts nothing.

    /work/main/.venv/bin/python bench/communication_bench.py [--incidents 200] [--runbooks 50]

Uses a throw-away test database of whatever DATABASE_URL points at (SQLite by default;
``DATABASE_URL=postgres://…/tocsin_wt6`` for PostgreSQL). Bounded: a few hundred rows,
loopback only, well under a minute."""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

import django

django.setup()

from datetime import timedelta

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext, setup_test_environment
from django.utils import timezone


def timed(fn, repeat: int = 5):
    runs, result, queries = [], None, 0
    for _ in range(repeat):
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            result = fn()
            runs.append(time.perf_counter() - start)
        queries = len(ctx.captured_queries)
    return statistics.median(runs) * 1000, queries, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=200)
    parser.add_argument("--runbooks", type=int, default=50)
    args = parser.parse_args()

    from config.celery import app

    app.conf.task_always_eager = True
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(args)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(args) -> None:
    from django.contrib.auth import get_user_model

    from incidents import services
    from incidents.communication.selectors import status_page
    from incidents.communication.services.reminders import communications_remind
    from incidents.communication.services.updates import status_update_post
    from incidents.models import Service, Severity
    from oncall.teams.models import Team, TeamMembership
    from runbooks.rendering import render_markdown
    from runbooks.services import runbook_attach_matching, runbook_create
    from runbooks.starter import STARTER_RUNBOOKS

    user = get_user_model().objects.create(username="bench", email="bench@example.com")
    team = Team.objects.create(name="Bench", slug="bench", key="BEN")
    TeamMembership.objects.create(team=team, user=user, role="manager")
    svcs = [
        Service.objects.create(team=team, name=f"svc {i}", slug=f"svc-{i}", public=i % 2 == 0)
        for i in range(20)
    ]
    severities = list(Severity.objects.order_by("level"))
    start = timezone.now() - timedelta(hours=2)
    with time_machine.travel(start, tick=False):
        for n in range(args.runbooks):
            spec = STARTER_RUNBOOKS[n % 4]
            runbook_create(
                actor=None,
                team=team,
                title=f"{spec.title} {n}",
                body=spec.body,
                services=[svcs[n % 20]],
                matchers=spec.matchers,
            )
        created = time.perf_counter()
        incidents = []
        for n in range(args.incidents):
            incident = services.incident_create(
                actor=user,
                team=team,
                title=f"Checkout latency {n}",
                severity=severities[n % 4],
                commander=user,
                services=[svcs[n % 20]],
            )
            incidents.append(incident)
            if n % 3 == 0:
                status_update_post(incident=incident, actor=user, message="m", audience="public")
        declare_ms = (time.perf_counter() - created) * 1000 / args.incidents

    print(
        f"database: {connection.vendor}; {args.incidents} open incidents, {args.runbooks} runbooks"
    )
    print(f"incident_create incl. runbook matching receiver: {declare_ms:.1f} ms/incident")
    ms, q, _ = timed(
        lambda: runbook_attach_matching(incident=incidents[0], alert_name="HighLatency")
    )
    print(f"runbook_attach_matching over {args.runbooks} runbooks: {ms:.1f} ms, {q} queries")
    ms, q, page = timed(status_page)
    print(
        f"status_page(): {ms:.1f} ms median, {q} queries "
        f"({len(page['incidents'])} public incidents shown)"
    )
    ms, q, _ = timed(lambda: [render_markdown(r.body) for r in STARTER_RUNBOOKS] * 1, repeat=20)
    print(f"render_markdown of the 4 starter runbooks: {ms:.2f} ms")
    t0 = time.perf_counter()
    first = communications_remind()
    first_ms = (time.perf_counter() - t0) * 1000
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        cProfile.runctx("communications_remind()", globals(), locals(), sort="cumtime")
    from incidents.communication.services.reminders import communications_due_incident_ids

    print("still due after the first run:", len(communications_due_incident_ids()))
    t0 = time.perf_counter()
    second = communications_remind()
    second_ms = (time.perf_counter() - t0) * 1000
    print(
        f"remind_communications first run: {first_ms:.0f} ms "
        f"(deadline {first.deadline_missed}, cadence {first.cadence_reminders}, "
        f"escalation {first.escalation_notices})"
    )
    print(
        f"remind_communications second run (nothing due): {second_ms:.0f} ms "
        f"(sent {second.deadline_missed + second.cadence_reminders + second.escalation_notices})"
    )


if __name__ == "__main__":
    main()
