"""Demo accounts, teams, people and services. Idempotent: what exists is kept."""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model

from incidents.models import Service
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


@dataclass(frozen=True)
class DemoTeam:
    team: Team
    people: list[Any]
    services: list[Service]
    titles: list[str]


def _user(username: str, **defaults: Any) -> Any:
    user, created = get_user_model().objects.get_or_create(username=username, defaults=defaults)
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def teams_demo_seed() -> list[DemoTeam]:
    """The admin account, then each demo team with its people (password DEMO_PASSWORD)
    and services."""
    _user("admin", email="admin@tocsin.example", is_staff=True, is_superuser=True)
    teams = []
    for spec in TEAMS:
        team, _ = Team.objects.get_or_create(
            slug=spec["slug"], defaults={"name": spec["name"], "key": spec["key"]}
        )
        people = []
        for username, first, last, role in spec["people"]:
            user = _user(
                username, first_name=first, last_name=last, email=f"{username}@tocsin.example"
            )
            TeamMembership.objects.get_or_create(team=team, user=user, defaults={"role": role})
            people.append(user)
        services = [
            Service.objects.get_or_create(team=team, slug=slug, defaults={"name": name})[0]
            for name, slug in spec["services"]
        ]
        teams.append(DemoTeam(team=team, people=people, services=services, titles=spec["titles"]))
    return teams
