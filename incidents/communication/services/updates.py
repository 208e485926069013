"""Status updates and what the status page says about an incident.

A status update is internal, public or for the stakeholders. The first public update of
a non-private incident on a public service puts it on the status page (nothing is shown
before: ``incidents.communication.selectors``); a team may have a neutral one posted as
its incidents are declared (``TeamCommunicationSettings.auto_publish``). Public and
stakeholder updates are e-mailed to the team's stakeholders. Like incidents.services,
every write locks the incident row (``incident_lock``) and appends a timeline event;
e-mail and Slack posts are outbox messages written in the same transaction and sent
after its commit (one e-mail per stakeholder, keyed by the update). ``status_update_share``
is what the incident page's "Share update" does: the status-page settings and the
update in one transaction."""

import re
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from common.errors import InvalidInput
from common.history import attribute_history
from common.limits import NOTE_LENGTH, text_require_bounded
from incidents.communication.models import (
    CommunicationEventKind,
    IncidentCommunication,
    StatusPageState,
    StatusUpdate,
    TeamCommunicationSettings,
    UpdateAudience,
)
from incidents.communication.services.channels import incident_channel_mirror
from incidents.communication.services.emails import (
    UPDATE,
    drill_mark,
    email_enqueue,
    incident_group,
)
from incidents.communication.status_state import auto_publish_message
from incidents.models import Incident
from incidents.services import incident_lock, timeline_event_create
from oncall.teams.services import team_require_member

K = CommunicationEventKind


def split_emails(text: str) -> list[str]:
    return sorted({part for part in re.split(r"[\s,;]+", text or "") if "@" in part})


def _stakeholder_emails(team_id: int) -> list[str]:
    settings_row = TeamCommunicationSettings.objects.filter(team_id=team_id).first()
    return split_emails(settings_row.stakeholder_emails) if settings_row else []


def incident_has_public_service(incident: Incident) -> bool:
    return incident.services.filter(public=True).exists()


def stakeholder_emails(*, team_id: int) -> list[str]:
    """The team's stakeholder addresses (for the composer to say who will hear)."""
    return _stakeholder_emails(team_id)


AUDIENCE_LABELS: dict[str, str] = {
    UpdateAudience.INTERNAL: "Internal update",
    UpdateAudience.PUBLIC: "Public update",
    UpdateAudience.STAKEHOLDERS: "Stakeholder update",
}


@transaction.atomic
def status_update_post(
    *,
    incident: Incident | int,
    actor: AbstractBaseUser | None,
    message: str,
    audience: str = UpdateAudience.INTERNAL,
) -> StatusUpdate:
    """Post an update. A public update of a non-private incident puts it on the status
    page (its first one) and is e-mailed to the team's stakeholder list; a stakeholder
    update is only e-mailed (never for a private incident, and only to a team that has a
    list). Every update is mirrored into the incident's Slack channel and restarts the
    update-cadence clock."""
    message = (message or "").strip()
    if not message:
        raise InvalidInput(
            "An update needs a message.", errors={"message": ["Write the update to share."]}
        )
    text_require_bounded(limits={"message": NOTE_LENGTH}, texts={"message": message})
    if audience not in UpdateAudience.values:
        raise InvalidInput(
            f"Unknown audience {audience!r}.",
            errors={"audience": [f"Choose one of {', '.join(UpdateAudience.values)}."]},
        )
    locked = incident_lock(incident)
    team_require_member(actor=actor, team=locked.team)
    recipients: list[str] = []
    if audience != UpdateAudience.INTERNAL and not locked.private:
        recipients = _stakeholder_emails(locked.team_id)
    if audience == UpdateAudience.STAKEHOLDERS and not recipients:
        reason = (
            "This incident is private: its updates are not e-mailed to stakeholders."
            if locked.private
            else f"Team {locked.team.name} has no stakeholder list to e-mail."
        )
        raise InvalidInput(reason, errors={"audience": [reason]})
    update = StatusUpdate.objects.create(
        incident=locked,
        message=message,
        status=locked.status,
        audience=audience,
        author=actor if actor is not None and actor.is_authenticated else None,
        created_at=timezone.now(),
    )
    timeline_event_create(
        incident=locked,
        kind=K.STATUS_UPDATE,
        actor=actor,
        message=message,
        data={"update": update.pk, "audience": audience, "status": locked.status},
    )
    if recipients:
        status_page = f"\n{settings.SITE_URL}/status/" if audience == UpdateAudience.PUBLIC else ""
        email_enqueue(
            key=f"{UPDATE}:{update.pk}",
            purpose=UPDATE,
            addresses=recipients,
            subject=f"{drill_mark(locked)}[{locked.reference}] {locked.title}: "
            f"{locked.get_status_display()}",
            text=f"{message}\n\nStatus: {locked.get_status_display()}\n"
            f"Severity: {locked.severity.name}" + status_page,
            group=incident_group(locked.pk),
        )
        timeline_event_create(
            incident=locked,
            kind=K.STAKEHOLDERS_NOTIFIED,
            message=f"Update e-mailed to {len(recipients)} stakeholder(s)",
            data={"update": update.pk, "recipients": len(recipients)},
        )
    incident_channel_mirror(
        incident=locked,
        text=f"{AUDIENCE_LABELS[audience]} ({locked.status}): {message}",
        key=f"update:{update.pk}",
    )
    return update


COMMUNICATION_FIELDS = ("status_page_state", "public_title", "customer_impact")


@transaction.atomic
def status_update_share(
    *,
    incident: Incident | int,
    actor: AbstractBaseUser | None,
    message: str,
    audience: str,
    communication: dict[str, Any] | None = None,
) -> StatusUpdate:
    """The incident page's "Share update": the status-page settings given in
    ``communication`` (state, public title, customer impact; only those that changed are
    written) and the update, together or not at all."""
    locked = incident_lock(incident)
    if communication:
        incident_communication_set(incident=locked, actor=actor, **communication)
    return status_update_post(incident=locked, actor=actor, message=message, audience=audience)


def status_update_auto_publish(*, incident: Incident) -> StatusUpdate | None:
    """At declaration: for a team that publishes as it declares, the neutral first public
    update of a non-private incident on a public service (it names only the public
    services). None when there is nothing to publish."""
    if incident.is_drill:  # a drill never reaches the public status page
        return None
    row = TeamCommunicationSettings.objects.filter(team_id=incident.team_id).first()
    if row is None or not row.auto_publish or incident.private:
        return None
    names = list(
        incident.services.filter(public=True).order_by("name").values_list("name", flat=True)
    )
    if not names:
        return None
    return status_update_post(
        incident=incident,
        actor=None,
        message=auto_publish_message(names),
        audience=UpdateAudience.PUBLIC,
    )


@transaction.atomic
def incident_communication_set(
    *,
    incident: Incident | int,
    actor: AbstractBaseUser | None,
    **fields: Any,
) -> IncidentCommunication:
    """Set the status-page state override, the public title or the customer-impact flag
    of an incident."""
    allowed = {"status_page_state", "public_title", "customer_impact"}
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise InvalidInput(
            "These fields cannot be changed.", errors={n: ["Not editable."] for n in unknown}
        )
    state = fields.get("status_page_state")
    if state and state not in StatusPageState.values:
        raise InvalidInput(
            f"Unknown state {state!r}.",
            errors={"status_page_state": [f"Choose one of {', '.join(StatusPageState.values)}."]},
        )
    locked = incident_lock(incident)
    team_require_member(actor=actor, team=locked.team)
    comm, _ = IncidentCommunication.objects.get_or_create(incident=locked)
    changes = {
        name: [getattr(comm, name), value]
        for name, value in fields.items()
        if getattr(comm, name) != value
    }
    if changes:
        for name, (_, value) in changes.items():
            setattr(comm, name, value)
        attribute_history(comm, actor).save(update_fields=list(changes))
        timeline_event_create(
            incident=locked,
            kind=K.STATUS_PAGE_STATE,
            actor=actor,
            message="Status page: " + "; ".join(_change_words(k, v[1]) for k, v in changes.items()),
            data={"changes": changes},
        )
    return comm


def _change_words(name: str, value: Any) -> str:
    """A status-page change in plain words, for the timeline."""
    if name == "status_page_state":
        label = StatusPageState(value).label if value else "derived from the severity"
        return f"state {label}"
    if name == "public_title":
        return f"public title “{value}”" if value else "no public title"
    answer = {True: "yes", False: "no", None: "decided by the impact statement"}[value]
    return f"customers affected: {answer}"


def incident_customer_impact(incident: Incident) -> bool:
    comm = IncidentCommunication.objects.filter(incident=incident).first()
    if comm is not None and comm.customer_impact is not None:
        return comm.customer_impact
    return bool(incident.impact.strip())
