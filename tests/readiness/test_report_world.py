"""The teams the readiness tests read: one with every kind of problem (``seed_unready``,
``copies`` times over for the query-count test) and one with none (``seed_ready``),
seeded through factories and the rooms' services at a frozen ``now``."""

import datetime
from datetime import timedelta

import time_machine

from incidents.paging.models import Page, PageStatus
from oncall.contacts.models import ContactKind, ContactMethod
from oncall.policies.models import EscalationPolicy
from tests.incidents.factories import IncidentFactory, ServiceFactory
from tests.oncall.factories import make_policy, make_schedule, member_of
from tests.runbooks.factories import RunbookFactory

OFFICE_HOURS = [{"weekdays": [1, 2, 3, 4, 5], "start": "09:00", "end": "17:00"}]

# What seed_unready(copies=1) makes the report find, by check: the subjects' names.
UNREADY_FINDINGS = {
    "schedule_gaps": ["Business hours"],
    "unreachable_people": ["nomethod", "phone"],
    "policy_dead_ends": ["Dead end", "Empty"],
    "services_without_policy": ["Checkout"],
    "services_without_runbook": ["Search"],
    "services_without_drill": ["Checkout"],
    "runbooks_untested": ["Checkout latency"],
    "engineers_overloaded": ["busy"],
}


def email_method(user):
    return ContactMethod.objects.create(user=user, kind=ContactKind.EMAIL, address=user.email)


def phone_method(user, *, verified: bool, now):
    return ContactMethod.objects.create(
        user=user,
        kind=ContactKind.SMS,
        address="+14155550100",
        verified_at=now if verified else None,
    )


def drill(*, team, actor, service, at):
    with time_machine.travel(at, tick=False):
        incident = IncidentFactory(team=team, actor=actor, title="Game day", services=[service])
    incident.is_drill = True
    incident.save(update_fields=["is_drill"])
    return incident


def pages(*, user, incident, count, at):
    """``count`` escalation steps that reached ``user`` (each through one contact method)."""
    for level in range(1, count + 1):
        Page.objects.create(
            incident=incident,
            user=user,
            channel="email",
            level=level,
            status=PageStatus.SENT,
            not_before=at,
            created_at=at + timedelta(minutes=level),
        )


def seed_unready(team, *, manager, now, copies=1, first=0):
    """Every kind of problem, ``copies`` times (copy n > 0 has names ending "-<n>")."""
    for copy in range(first, first + copies):
        s = f"-{copy}" if copy else ""
        ok = member_of(team, f"ok{s}")
        email_method(ok)
        phone_method(ok, verified=True, now=now)
        phone = member_of(team, f"phone{s}")
        phone_method(phone, verified=False, now=now)
        nomethod = member_of(team, f"nomethod{s}")
        busy = member_of(team, f"busy{s}")
        email_method(busy)
        calm = member_of(team, f"calm{s}")
        email_method(calm)

        start = (now - timedelta(days=7)).date()
        office = make_schedule(
            team,
            [
                {
                    "users": [ok, phone, nomethod],
                    "rotation": "weekly",
                    "handoff_time": datetime.time(9),
                    "start": start,
                    "restrictions": OFFICE_HOURS,
                }
            ],
            name=f"Business hours{s}",
        )
        always = make_schedule(
            team,
            [
                {
                    "users": [ok],
                    "rotation": "daily",
                    "handoff_time": datetime.time(9),
                    "start": start,
                }
            ],
            name=f"Around the clock{s}",
        )
        make_policy(team, [(5, [always]), (10, [phone])], name=f"Dead end{s}", set_default=False)
        EscalationPolicy.objects.create(team=team, name=f"Empty{s}")
        fine = make_policy(
            team, [(5, [office]), (10, [always])], name=f"Fine{s}", set_default=False
        )

        checkout = ServiceFactory(team=team, name=f"Checkout{s}", slug=f"checkout{s}")
        search = ServiceFactory(
            team=team, name=f"Search{s}", slug=f"search{s}", escalation_policy=fine
        )
        with time_machine.travel(now - timedelta(days=200), tick=False):
            RunbookFactory(
                team=team, actor=manager, title=f"Checkout latency{s}", services=[checkout]
            )
        RunbookFactory(
            team=team,
            actor=manager,
            title=f"Search tips{s}",
            last_tested_at=now - timedelta(days=10),
        )
        drill(team=team, actor=manager, service=checkout, at=now - timedelta(days=120))
        drill(team=team, actor=manager, service=search, at=now - timedelta(days=10))

        incident = IncidentFactory(team=team, actor=manager, title=f"Noisy alerts{s}")
        # Thursday of the previous ISO week: 11 pages is above the target, 10 is not.
        pages(user=busy, incident=incident, count=11, at=now - timedelta(days=4))
        pages(user=calm, incident=incident, count=10, at=now - timedelta(days=4))


def seed_ready(team, *, manager, now):
    """A team with nothing to fix: ``manager`` on a round-the-clock rota with a verified
    method, a default policy ending with that schedule, one service with a recently
    tested runbook and a recent drill."""
    email_method(manager)
    always = make_schedule(
        team,
        [
            {
                "users": [manager],
                "rotation": "weekly",
                "handoff_time": datetime.time(9),
                "start": (now - timedelta(days=7)).date(),
            }
        ],
        name="Mobile on call",
    )
    make_policy(team, [(5, [always]), (15, [manager])], name="Mobile default")
    app = ServiceFactory(team=team, name="Mobile app", slug="mobile-app")
    RunbookFactory(
        team=team,
        actor=manager,
        title="Push delays",
        services=[app],
        last_tested_at=now - timedelta(days=30),
    )
    drill(team=team, actor=manager, service=app, at=now - timedelta(days=30))


def test_every_check_has_a_seeded_problem():
    from readiness.report.checks import CHECK_KEYS

    assert list(UNREADY_FINDINGS) == list(CHECK_KEYS)
