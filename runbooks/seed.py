"""Install the starter runbook library in a team (``manage.py runbooks_install_starter``)."""

from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from incidents.models import Service, Severity
from oncall.teams.models import Team
from runbooks import services
from runbooks.models import Runbook
from runbooks.starter import STARTER_RUNBOOKS


def starter_runbooks_install(
    *, team: Team, actor: AbstractBaseUser | None = None, tested_days_ago: dict | None = None
) -> list[Runbook]:
    """Copy the starter runbooks into a team (skipping titles it already has),
    covering the team's services whose slug matches each runbook's hints.
    ``tested_days_ago`` (title → days) marks runbooks as last tested that long ago."""
    team_services = list(Service.objects.filter(team=team))
    existing = set(Runbook.objects.filter(team=team).values_list("title", flat=True))
    severities = {s.name: s for s in Severity.objects.all()}
    tested_days_ago = tested_days_ago or {}
    created = []
    for spec in STARTER_RUNBOOKS:
        if spec.title in existing:
            continue
        covered = [
            s
            for s in team_services
            if "*" in spec.service_hints or any(h in s.slug for h in spec.service_hints)
        ]
        days = tested_days_ago.get(spec.title)
        created.append(
            services.runbook_create(
                actor=actor,
                team=team,
                title=spec.title,
                body=spec.body,
                services=covered,
                matchers=spec.matchers,
                severity_hint=severities.get(spec.severity_hint),
                last_tested_at=timezone.now() - timedelta(days=days) if days is not None else None,
            )
        )
    return created
