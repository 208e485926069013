"""Writes for the service catalog: a team's services (a slug unique within the team, an
optional escalation policy of the same team), and the check that an incident's or a
runbook's services are all of its own team."""

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import User as AuthUser
from django.db import transaction
from django.utils.text import slugify

from common.errors import AccessDenied, Conflict, InvalidInput
from common.history import attribute_history, save_changed
from incidents.models import Service, Severity
from oncall.teams.models import Team
from oncall.teams.services import team_require_member
from outbox.models import Urgency


def services_require_in_team(
    *, team: Team, services: Iterable[Service], message: str
) -> list[Service]:
    """The services, all of ``team`` (incidents and runbooks cover their own team's);
    else InvalidInput with ``message``, naming each foreign one."""
    services = list(services)
    foreign = [s.name for s in services if s.team_id != team.pk]
    if foreign:
        raise InvalidInput(
            message,
            errors={"services": [f"{name} belongs to another team." for name in foreign]},
        )
    return services


@transaction.atomic
def service_create(
    *,
    actor: AuthUser,
    team: Team,
    name: str,
    slug: str = "",
    description: str = "",
    public: bool = False,
    escalation_policy: Any = None,
) -> Service:
    team_require_member(actor=actor, team=team)
    _policy_of_team_check(escalation_policy, team.pk)
    name = name.strip()
    slug = slug or slugify(name)
    if not slug:
        raise InvalidInput(
            "A service needs a name with letters or digits.",
            errors={"name": ["Cannot derive a slug from this name."]},
        )
    if Service.objects.filter(team=team, slug=slug).exists():
        raise Conflict(
            f"Team {team.name} already has a service {slug!r}.",
            errors={"slug": ["Already used in this team."]},
        )
    service = Service(
        team=team,
        name=name,
        slug=slug,
        description=description,
        public=public,
        escalation_policy=escalation_policy,
    )
    attribute_history(service, actor).save()
    return service


@transaction.atomic
def service_update(*, actor: AuthUser, service: Service, **fields: Any) -> Service:
    locked = Service.objects.select_for_update().get(pk=service.pk)
    team_require_member(actor=actor, team=locked.team)
    _policy_of_team_check(fields.get("escalation_policy"), locked.team_id)
    save_changed(locked, actor, fields)
    return locked


def _policy_of_team_check(policy: Any, team_id: int) -> None:
    if policy is not None and policy.team_id != team_id:
        raise InvalidInput(
            "The escalation policy must belong to the service's team.",
            errors={"escalation_policy": ["Not a policy of this service's team."]},
        )


@transaction.atomic
def severity_update(*, actor: AuthUser, severity: Severity, urgency: str) -> Severity:
    """Change a severity's urgency (staff only: the matrix is shared by every team).
    Incidents already escalating keep paging as they started; new pages follow it."""
    if not getattr(actor, "is_staff", False):
        raise AccessDenied("Only staff change the severity matrix.")
    if urgency not in Urgency.values:
        raise InvalidInput(
            "The severity is not valid.",
            errors={"urgency": [f"Must be one of {', '.join(Urgency.values)}."]},
        )
    save_changed(severity, actor, {"urgency": urgency})
    return severity
