"""The Slack incident channel: reserved inside the transaction that declares the incident
(or raises its severity) when Slack is configured and the severity warrants one, then
created and joined by Celery tasks after commit, outside any transaction (creating and
inviting need Slack's answer, the channel id, so they are calls, not outbox messages).
Each step is saved as soon as it is done, so a retried task resumes instead of creating
a second channel; when Slack gives up, the failure is noted on the timeline and the
incident goes on.

Posts into the channel are outbox messages (purpose ``communication.slack_post``),
written in the transaction that has something to say. A post written while the channel
is still being created is addressed to nobody yet and held back for ``CHANNEL_WAIT``;
when the channel is created its waiting posts are addressed and handed out at once, and
right before any send the post is addressed from the channel row (``_prepare_post``): a
channel still pending is a temporary error (retried with the outbox's back-off), a
failed or missing channel cancels the post."""

import uuid
from datetime import timedelta

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
from incidents.communication.services.emails import drill_mark, incident_group, incident_id_of
from incidents.communication.tasks import slack_invite_later, slack_open_later
from incidents.links import incident_url
from incidents.models import Incident
from incidents.paging.models import Page
from incidents.services import timeline_event_create
from outbox.models import Message, MessageStatus, Transport
from outbox.purposes import Purpose, purpose_register
from outbox.services import message_enqueue, messages_cancel, messages_kick

K = CommunicationEventKind
SLACK_POST = "communication.slack_post"
# How long a post written before its channel exists waits for the channel to be created
# (which hands it out at once) before it tries on its own.
CHANNEL_WAIT = timedelta(minutes=2)


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


def incident_channel_mirror(
    *, incident: Incident, text: str, key: str | None = None
) -> Message | None:
    """Write a post for the incident's channel, if it has one (sent after commit).
    ``key`` names the post among the incident's (``update:17``), so the same post is
    written once; without one, each call is a post of its own."""
    if not slack.enabled():
        return None
    channel = IncidentChannel.objects.filter(incident=incident).only("state", "channel_id").first()
    if channel is None or channel.state == IncidentChannelState.FAILED:
        return None
    return _post_enqueue(incident=incident, channel=channel, text=text, key=key)


def _post_enqueue(
    *, incident: Incident, channel: IncidentChannel, text: str, key: str | None
) -> Message:
    ready = channel.state == IncidentChannelState.CREATED and bool(channel.channel_id)
    return message_enqueue(
        key=f"{SLACK_POST}:{incident.pk}:{key or uuid.uuid4().hex}",
        purpose=SLACK_POST,
        transport=Transport.SLACK,
        address=channel.channel_id if ready else "",
        payload={"text": f"{drill_mark(incident)}{incident.reference}: {text}"},
        group=incident_group(incident.pk),
        due_at=None if ready else timezone.now() + CHANNEL_WAIT,
    )


class ChannelNotReady(slack.SlackError):
    """The channel is still being created: retry later."""


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
        commander = incident.commander.get_username() if incident.commander else "unassigned"
        message_enqueue(
            key=f"{SLACK_POST}:{incident.pk}:declared",
            purpose=SLACK_POST,
            transport=Transport.SLACK,
            address=channel.channel_id,
            payload={
                "text": f"{drill_mark(incident)}{incident.reference} declared as "
                f"{incident.severity.name}: "
                f"{incident.title}\nStatus: {incident.get_status_display()}. "
                f"Commander: {commander}.\n" + incident_url(incident.pk)
            },
            group=incident_group(incident.pk),
        )
        _posts_release(incident_id=incident.pk, channel_id=channel.channel_id)
    return channel


def _posts_release(*, incident_id: int, channel_id: str) -> int:
    """The channel exists: address the posts that were waiting for it and hand them out
    now (inside the transaction that marks it created; they go out after its commit)."""
    now = timezone.now()
    waiting = list(
        Message.objects.select_for_update(skip_locked=True).filter(
            group=incident_group(incident_id), purpose=SLACK_POST, status=MessageStatus.QUEUED
        )
    )
    for message in waiting:
        message.address = channel_id
        message.due_at = min(message.due_at, now)
        message.updated_at = now
    if waiting:
        Message.objects.bulk_update(waiting, ["address", "due_at", "updated_at"])
        messages_kick(waiting)
    return len(waiting)


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
        # No channel will come: the posts waiting for it are dropped.
        messages_cancel(group=incident_group(incident.pk), purpose=SLACK_POST)
    timeline_event_create(
        incident=incident,
        kind=K.SLACK_FAILED,
        message=f"Slack {ACTION_LABELS.get(action, action)} failed: {error}",
        data={"action": action, "error": error[:2000]},
    )


# --- what the outbox asks of this room ---------------------------------------------------


def _prepare_post(message: Message) -> dict | None:
    """Address the post from the channel row right before it goes out: the outbox sends
    to ``message.address``, which a post written before the channel existed lacks."""
    incident_id = incident_id_of(message.group)
    channel = (
        IncidentChannel.objects.filter(incident_id=incident_id).only("state", "channel_id").first()
        if incident_id is not None
        else None
    )
    if channel is None or channel.state == IncidentChannelState.FAILED:
        return None
    if channel.state == IncidentChannelState.PENDING or not channel.channel_id:
        raise ChannelNotReady("The incident channel is not created yet.")
    if message.address != channel.channel_id:
        message.address = channel.channel_id
        Message.objects.filter(pk=message.pk).update(address=channel.channel_id)
    return {"text": message.payload.get("text", "")}


def _post_failed(message: Message, final: bool) -> None:
    """A post the outbox gave up on is noted on the incident's timeline."""
    incident_id = incident_id_of(message.group)
    if final and incident_id is not None:
        incident_channel_failed(incident_id=incident_id, action="post", error=message.last_error)


def register() -> None:
    """Tell the outbox how to address posts and what their failure means."""
    purpose_register(Purpose(SLACK_POST, prepare=_prepare_post, failed=_post_failed))
