"""How long the postmortem beat tasks take on a backlog, first run and rerun.

    /work/main/.venv/bin/python bench/postmortem_beat.py [--postmortems 200] [--items 500]

Creates a throw-away test database (SQLite by default, or DATABASE_URL's server with a
``test_`` prefix), fills it through the services, then times ``postmortem_enforce_sla``
and ``action_item_remind_overdue``: the first run marks and e-mails everything (locmem
backend: no network), the rerun must find nothing to do. Prints figures; asserts nothing
about speed.
"""

import argparse
import os
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postmortems", type=int, default=200)
    parser.add_argument("--items", type=int, default=500)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core import mail
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()  # locmem e-mail backend
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        import time_machine
        from django.contrib.auth import get_user_model

        from incidents import services as incident_services
        from incidents.models import Severity
        from oncall.teams.models import Team, TeamMembership
        from postmortems import services

        t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        User = get_user_model()
        team = Team.objects.create(name="Bench", slug="bench", key="BEN")
        owner = User.objects.create_user("owner", "owner@example.com", "x")
        boss = User.objects.create_user("boss", "boss@example.com", "x")
        TeamMembership.objects.create(team=team, user=owner, role="member")
        TeamMembership.objects.create(team=team, user=boss, role="manager")
        sev1 = Severity.objects.get(name="SEV1")

        started = time.perf_counter()
        incidents = []
        with time_machine.travel(t0, tick=False):
            for n in range(args.postmortems):
                incident = incident_services.incident_create(
                    actor=owner, team=team, title=f"Bench {n}", severity=sev1, commander=owner
                )
                incidents.append(incident_services.incident_resolve(incident=incident, actor=owner))
            for n in range(args.items):
                services.action_item_create(
                    actor=owner,
                    incident=incidents[n % len(incidents)],
                    title=f"Item {n}",
                    owner=owner,
                    priority="P2",
                    due_date=date(2026, 3, 3),
                )
        print(
            f"setup: {args.postmortems} resolved SEV1 incidents with drafts, {args.items} "
            f"action items in {time.perf_counter() - started:.1f} s "
            f"({connection.vendor})"
        )

        def timed(label, func, **kwargs):
            mail.outbox = []
            start = time.perf_counter()
            result = func(**kwargs)
            elapsed = time.perf_counter() - start
            print(f"{label:<42} {elapsed * 1000:8.1f} ms  {result}  e-mails={len(mail.outbox)}")

        now = t0 + timedelta(hours=80)
        timed("enforce_postmortem_sla (first run)", services.postmortem_enforce_sla, now=now)
        timed("enforce_postmortem_sla (rerun)", services.postmortem_enforce_sla, now=now)
        later = datetime(2026, 3, 5, 8, 0, tzinfo=UTC)
        timed(
            "remind_overdue_action_items (first run)",
            services.action_item_remind_overdue,
            now=later,
        )
        timed("remind_overdue_action_items (rerun)", services.action_item_remind_overdue, now=later)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
