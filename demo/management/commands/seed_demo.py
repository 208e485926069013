"""Load realistic demo data: three teams with people and services, and incidents of
every severity and status over the last 90 days. Safe to run again: what exists is
kept, and incidents are only generated for a team that has none.

Each demo incident is replayed through the real services at the moment it happened
(time-machine moves the clock), so timelines and history read as they would have."""

import random
from datetime import timedelta

import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from incidents import services as incident_services
from incidents.models import Incident, IncidentStatus, Resolution, Service, Severity
from oncall.teams.models import Team, TeamMembership, TeamRole

DEMO_PASSWORD = "tocsin-demo"  # noqa: S105 - demo accounts on a local database


TEAMS = [
    {
        "name": "Payments",
        "key": "PAY",
        "slug": "payments",
        "people": [
            ("priya", "Priya", "Raman", TeamRole.MANAGER),
            ("marco", "Marco", "Bianchi", TeamRole.MEMBER),
            ("aisha", "Aisha", "Okafor", TeamRole.MEMBER),
            ("tom", "Tom", "Lindqvist", TeamRole.MEMBER),
        ],
        "services": [
            ("Checkout API", "checkout-api"),
            ("Payment Gateway", "payment-gateway"),
            ("Billing Worker", "billing-worker"),
        ],
        "titles": [
            "Checkout latency p99 above 4 s",
            "Card authorisations failing for Visa",
            "Billing worker queue backlog growing",
            "Refunds stuck in pending",
            "Payment gateway 502s from upstream PSP",
            "Duplicate charge reports",
        ],
    },
    {
        "name": "Platform",
        "key": "PLT",
        "slug": "platform",
        "people": [
            ("sam", "Sam", "Carter", TeamRole.MANAGER),
            ("lena", "Lena", "Vogel", TeamRole.MEMBER),
            ("kenji", "Kenji", "Sato", TeamRole.MEMBER),
            ("marco", "Marco", "Bianchi", TeamRole.MEMBER),
        ],
        "services": [
            ("PostgreSQL primary", "postgres-primary"),
            ("Kubernetes cluster", "k8s-prod"),
            ("Redis cache", "redis-cache"),
            ("Edge load balancer", "edge-lb"),
        ],
        "titles": [
            "Primary database replication lag 90 s",
            "Node pool out of memory",
            "Redis evictions spiking",
            "TLS certificate expiring on edge",
            "DNS resolution failures in eu-west-1",
            "Disk 92% full on db-2",
        ],
    },
    {
        "name": "Mobile",
        "key": "MOB",
        "slug": "mobile",
        "people": [
            ("olivia", "Olivia", "Brown", TeamRole.MANAGER),
            ("diego", "Diego", "Alvarez", TeamRole.MEMBER),
            ("hana", "Hana", "Kim", TeamRole.MEMBER),
        ],
        "services": [
            ("iOS app API", "ios-api"),
            ("Push notifications", "push"),
            ("Mobile BFF", "mobile-bff"),
        ],
        "titles": [
            "Push notifications delayed 20 min",
            "iOS login crash on 7.4.0",
            "BFF error rate 8%",
            "Image uploads timing out",
            "App store review blocked",
        ],
    },
]


PLAN = [
    ("SEV1", IncidentStatus.RESOLVED, 2),
    ("SEV2", IncidentStatus.RESOLVED, 4),
    ("SEV3", IncidentStatus.RESOLVED, 5),
    ("SEV4", IncidentStatus.RESOLVED, 3),
    ("SEV1", IncidentStatus.INVESTIGATING, 1),
    ("SEV2", IncidentStatus.TRIGGERED, 1),
    ("SEV2", IncidentStatus.IDENTIFIED, 1),
    ("SEV3", IncidentStatus.ACKNOWLEDGED, 1),
    ("SEV3", IncidentStatus.MONITORING, 1),
    ("SEV4", IncidentStatus.TRIGGERED, 1),
]


PATH = [
    IncidentStatus.ACKNOWLEDGED,
    IncidentStatus.INVESTIGATING,
    IncidentStatus.IDENTIFIED,
    IncidentStatus.MONITORING,
    IncidentStatus.RESOLVED,
]


class Command(BaseCommand):
    help = "Load idempotent demo data (teams, people, services, 90 days of incidents)."

    def handle(self, *args, **options) -> None:
        rng = random.Random(42)  # the same demo every time
        User = get_user_model()
        admin, created = User.objects.get_or_create(
            username="admin",
            defaults={"email": "admin@tocsin.example", "is_staff": True, "is_superuser": True},
        )
        if created:
            admin.set_password(DEMO_PASSWORD)
            admin.save()
        severities = {s.name: s for s in Severity.objects.all()}
        total = 0
        for spec in TEAMS:
            team, _ = Team.objects.get_or_create(
                slug=spec["slug"], defaults={"name": spec["name"], "key": spec["key"]}
            )
            people = []
            for username, first, last, role in spec["people"]:
                user, created = User.objects.get_or_create(
                    username=username,
                    defaults={
                        "first_name": first,
                        "last_name": last,
                        "email": f"{username}@tocsin.example",
                    },
                )
                if created:
                    user.set_password(DEMO_PASSWORD)
                    user.save()
                TeamMembership.objects.get_or_create(team=team, user=user, defaults={"role": role})
                people.append(user)
            team_services = [
                Service.objects.get_or_create(team=team, slug=slug, defaults={"name": name})[0]
                for name, slug in spec["services"]
            ]
            # Issue 3: a schedule and a default policy before the incidents, so the open
            # demo incidents page somebody (the worker's sweep escalates them).
            call_command("seed_oncall_demo", team=team.slug, stdout=self.stdout)
            if Incident.objects.filter(team=team).exists():
                continue
            total += self._incidents(rng, team, people, team_services, severities, spec["titles"])
        call_command("seed_demo_runbooks_communication", stdout=self.stdout)  # issue 6
        call_command("seed_demo_postmortems", stdout=self.stdout)  # issue 5
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready ({total} incidents added). Sign in at /admin/ as admin, or as "
                f"priya, sam, olivia (managers) or marco, lena, diego (members); "
                f"password: {DEMO_PASSWORD}"
            )
        )

    def _incidents(self, rng, team, people, team_services, severities, titles) -> int:
        now = timezone.now()
        plans = [(sev, status) for sev, status, count in PLAN for _ in range(count)]
        count = 0
        for index, (sev_name, final_status) in enumerate(plans):
            severity = severities[sev_name]
            if final_status == IncidentStatus.RESOLVED:
                started = now - timedelta(days=rng.uniform(2, 88))
            else:  # still open: recent
                started = now - timedelta(hours=rng.uniform(0.2, 20))
            commander = rng.choice(people)
            with transaction.atomic():
                with time_machine.travel(started, tick=False):
                    incident = incident_services.incident_create(
                        actor=commander,
                        team=team,
                        title=titles[index % len(titles)],
                        severity=severity,
                        summary="Demo incident generated by seed_demo.",
                        commander=commander,
                        services=[rng.choice(team_services)],
                        impact="Some customers affected." if severity.level <= 2 else "",
                        source="demo",
                    )
                moment = started
                ack_budget = severity.ack_target.total_seconds()
                resolve_budget = severity.resolve_target.total_seconds()
                if final_status == IncidentStatus.TRIGGERED:
                    count += 1
                    continue
                steps = PATH[: PATH.index(final_status) + 1]
                for step in steps:
                    if step == IncidentStatus.ACKNOWLEDGED:
                        moment += timedelta(seconds=rng.uniform(0.2, 1.6) * ack_budget)
                    else:
                        moment += timedelta(seconds=rng.uniform(0.05, 0.4) * resolve_budget)
                    moment = min(moment, now)
                    if (
                        step != IncidentStatus.RESOLVED
                        and rng.random() < 0.25
                        and step != steps[-1]
                    ):
                        continue  # steps may be skipped
                    with time_machine.travel(moment, tick=False):
                        if step == IncidentStatus.RESOLVED:
                            incident_services.incident_resolve(
                                incident=incident,
                                actor=commander,
                                message="Mitigated and verified.",
                                resolution=rng.choice(
                                    [Resolution.FIXED] * 6 + [Resolution.FALSE_POSITIVE]
                                ),
                            )
                        else:
                            incident_services.incident_transition(
                                incident=incident,
                                to_status=step,
                                actor=commander,
                                message=f"Moving to {step}.",
                            )
                            if step == IncidentStatus.INVESTIGATING:
                                incident_services.incident_add_note(
                                    incident=incident,
                                    actor=rng.choice(people),
                                    message="Looking at dashboards and recent deploys.",
                                )
            count += 1
        return count
