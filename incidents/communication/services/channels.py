"""The Slack incident channel: reserved inside the transaction that declares the incident
(or raises its severity) when Slack is configured and the severity warrants one, then
created, joined and posted to by Celery tasks after commit, outside any transaction.
Each step is saved as soon as it is done, so a retried task resumes instead of creating
a second channel; when Slack gives up, the failure is noted on the timeline and the
incident goes on."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from incidents.communication import slack
from incidents.communication.models import (
    CommunicationEventKind,
    IncidentChannel,
    IncidentChannelState,
)
from incidents.communication.tasks import slack_invite_later, slack_open_later, slack_post_later
from incidents.models import Incident
from incidents.paging.models import Page
from incidents.services import timeline_event_create

K = CommunicationEventKind


def incident_channel_wanted(incident: Incident) -> bool:
    return (
        slack.enabled() and incident.severity.level <= settings.INCIDENT_CHANNEL_MAX_SEVERITY_LEVEL
    )


def incident_channel_request(*, incident: Incident) -> IncidentChannel | None:
    """Inside the transaction that declares the incident (or raises its severity):
    reserve the channel row and create the Slack channel after commit."""
    if not incident_channel_wanted(incident):
        return None
    channel, created = IncidentChannel.objects.get_or_create(
        incident=incident,
        defaults={
            "name": slack.channel_name(
                number=incident.number, team_key=incident.team.key, title=incident.title
            ),
            "created_at": timezone.now(),
        },
    )
    if created:
        slack_open_later(incident_id=incident.pk)
    return channel


def incident_channel_mirror(*, incident: Incident, text: str) -> None:
    """Queue a message for the incident's channel (after commit), if it has one."""
    if not slack.enabled():
        return
    channel = IncidentChannel.objects.filter(incident=incident).only("state").first()
    if channel is None or channel.state == IncidentChannelState.FAILED:
        return
    slack_post_later(incident_id=incident.pk, text=f"{incident.reference}: {text}")


class ChannelNotReady(slack.SlackError):
    """The channel is still being created: retry the post later."""


def incident_channel_open(*, incident_id: int) -> IncidentChannel | None:
    """Create the Slack channel, invite the incident's people, post the declaration.
    Runs in a task, outside any transaction; each step is saved as soon as it is done so
    a retry resumes instead of creating a second channel."""
    channel = (
        IncidentChannel.objects.select_related("incident__team", "incident__severity")
        .filter(incident_id=incident_id)
        .first()
    )
    if channel is None or channel.state != IncidentChannelState.PENDING:
        return channel
    incident = channel.incident
    if not channel.channel_id:
        # A private incident gets a private channel.
        channel.channel_id = slack.create_channel(channel.name, private=incident.private)
        channel.save(update_fields=["channel_id"])
    people = [p for p in (incident.commander, incident.scribe, incident.communications_lead) if p]
    # ...and the responders paged so far (at declaration the first step pages before this
    # channel row exists, so its invitation is made here).
    emails = {p.email for p in people if p.email}
    emails.update(
        Page.objects.filter(incident=incident, user__is_active=True)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
        .distinct()
    )
    user_ids = sorted({uid for email in sorted(emails) if (uid := slack.find_user_id(email))})
    slack.invite(channel.channel_id, user_ids)
    slack.post(
        channel.channel_id,
        f"{incident.reference} declared as {incident.severity.name}: {incident.title}\n"
        f"Status: {incident.get_status_display()}. "
        f"Commander: {incident.commander.get_username() if incident.commander else 'unassigned'}.\n"
        f"{settings.SITE_URL}/api/v1/incidents/{incident.pk}/",
    )
    with transaction.atomic():
        channel.state = IncidentChannelState.CREATED
        channel.error = ""
        channel.save(update_fields=["state", "error"])
        timeline_event_create(
            incident=incident,
            kind=K.SLACK_CHANNEL,
            message=f"Slack channel #{channel.name} created",
            data={"channel": channel.channel_id, "name": channel.name, "invited": len(user_ids)},
        )
    return channel


def incident_channel_invite(*, incident_id: int, user_ids: list[int]) -> int:
    """Invite Tocsin users (by their e-mail's Slack account) into the incident channel:
    a newly assigned commander, scribe or communications lead, and the responders that
    paging reaches (the paging code calls ``incident_channel_invite_later``). Returns how
    many Slack accounts were invited."""
    channel = IncidentChannel.objects.filter(incident_id=incident_id).first()
    if channel is None or channel.state == IncidentChannelState.FAILED:
        return 0
    if channel.state == IncidentChannelState.PENDING:
        raise ChannelNotReady("The incident channel is not created yet.")
    emails = get_user_model().objects.filter(pk__in=user_ids).exclude(email="")
    slack_ids = sorted(
        {
            uid
            for email in emails.values_list("email", flat=True)
            if (uid := slack.find_user_id(email))
        }
    )
    slack.invite(channel.channel_id, slack_ids)
    return len(slack_ids)


def incident_channel_invite_later(*, incident: Incident, users: list) -> None:
    """After commit, invite ``users`` into the incident's channel if it has one."""
    if not slack.enabled() or not users:
        return
    if (
        not IncidentChannel.objects.filter(incident=incident)
        .exclude(state=IncidentChannelState.FAILED)
        .exists()
    ):
        return
    slack_invite_later(incident_id=incident.pk, user_ids=[u.pk for u in users])


def incident_channel_post(*, incident_id: int, text: str) -> None:
    channel = IncidentChannel.objects.filter(incident_id=incident_id).first()
    if channel is None or channel.state == IncidentChannelState.FAILED:
        return
    if channel.state == IncidentChannelState.PENDING:
        raise ChannelNotReady("The incident channel is not created yet.")
    slack.post(channel.channel_id, text)


ACTION_LABELS = {"open": "channel creation", "post": "message", "invite": "invitation"}


@transaction.atomic
def incident_channel_failed(*, incident_id: int, action: str, error: str) -> None:
    """Slack gave up after the retries: note it on the timeline; the incident goes on."""
    incident = Incident.objects.filter(pk=incident_id).first()
    if incident is None:
        return
    if action == "open":
        channel = IncidentChannel.objects.select_for_update().filter(incident=incident).first()
        if channel is not None:
            channel.state = IncidentChannelState.FAILED
            channel.error = error[:2000]
            channel.save(update_fields=["state", "error"])
    timeline_event_create(
        incident=incident,
        kind=K.SLACK_FAILED,
        message=f"Slack {ACTION_LABELS.get(action, action)} failed: {error}",
        data={"action": action, "error": error[:2000]},
    )
