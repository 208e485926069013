"""E-mail from the communication room, through the outbox.

Every e-mail is one outbox message per address, written in the transaction that decided
to send it, under a key that says what it is: ``<purpose>:<what>`` then ``/<address>``,
e.g. ``communication.reminder:42:update_cadence:2026-03-02T09:17:00+00:00/marco@…``.
The outbox sends it after the commit, at least once, with a ``Message-ID`` derived from
the key (a repeat after a crash mid-send carries the same id). The key is also the
record that it was sent: a reminder or notice is due only while no message carries its
key, and a second enqueue under the same key sends nothing new.

Purposes: ``communication.update`` (public status updates to the stakeholder list),
``communication.reminder`` and ``communication.notice`` (re-checked right before each
send, see ``_prepare_incident_email``), ``communication.email`` (e-mail other rooms ask
for through ``incidents.communication.tasks.email_later``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User as AuthUser
from django.db.models import Q

from incidents.communication.models import ReminderKind, StatusUpdate, UpdateAudience
from incidents.models import OPEN_STATUSES, Incident
from outbox.models import Message, Transport
from outbox.purposes import Purpose, purpose_register
from outbox.services import message_enqueue

UPDATE = "communication.update"
REMINDER = "communication.reminder"
NOTICE = "communication.notice"
EMAIL = "communication.email"

# Between what a message is and whom it goes to, in its key; never inside the first part.
ADDRESS_SEPARATOR = "/"
KEY_MAX_LENGTH = 200


def drill_mark(incident: Incident) -> str:
    """What starts every e-mail subject and Slack post about a drill's incident, so
    nobody takes a game day for a real outage."""
    return "[DRILL] " if incident.is_drill else ""


def incident_group(incident_id: int) -> str:
    """The outbox group of everything sent about one incident (pages included)."""
    return f"incident:{incident_id}"


def incident_id_of(group: str) -> int | None:
    match = re.fullmatch(r"incident:(\d+)", group or "")
    return int(match.group(1)) if match else None


def reminder_key(incident_id: int, kind: str, due_at: datetime) -> str:
    """A reminder is one per incident, kind and moment it fell due."""
    return f"{REMINDER}:{incident_id}:{kind}:{due_at.astimezone(UTC).isoformat()}"


def notice_key(incident_id: int, rule_id: int) -> str:
    """An escalation notice is one per incident and rule."""
    return f"{NOTICE}:{incident_id}:{rule_id}"


def slack_post_key(key: str) -> str:
    """The name, among an incident's Slack posts, of the post that goes with the e-mail
    under ``key`` (``reminder:update_cadence:<due>``, ``notice:3``): written once too."""
    purpose, _incident, what = key.split(":", 2)
    return f"{purpose.rsplit('.', 1)[-1]}:{what}"


def base_key(key: str) -> str:
    """What a message is, without whom it goes to."""
    return key.split(ADDRESS_SEPARATOR, 1)[0]


def _address_key(key: str, address: str) -> str:
    full = f"{key}{ADDRESS_SEPARATOR}{address.lower()}"
    if len(full) <= KEY_MAX_LENGTH:
        return full
    digest = hashlib.sha256(address.lower().encode()).hexdigest()[:24]
    return f"{key}{ADDRESS_SEPARATOR}{digest}"


def _people_by_email(addresses: Iterable[str]) -> dict[str, AuthUser]:
    """Active accounts with these addresses (one query), so each message names its
    recipient; an address nobody has goes out with no recipient."""
    wanted = {a.lower() for a in addresses}
    if not wanted:
        return {}
    candidates = sorted({*addresses, *wanted})
    people: dict[str, AuthUser] = {}
    for user in (
        get_user_model().objects.filter(is_active=True, email__in=candidates).order_by("pk")
    ):
        people.setdefault(user.email.lower(), user)
    return people


def email_enqueue(
    *,
    key: str,
    purpose: str,
    addresses: Iterable[str],
    subject: str,
    text: str,
    group: str = "",
    people: Iterable[AuthUser] = (),
    record_when_nobody: bool = False,
) -> list[Message]:
    """Write one outbox message per address (call it inside the transaction that decided
    to send; delivery starts after it commits). ``people``: accounts the caller already
    has, so they are not looked up again. ``record_when_nobody``: with no address at all,
    still write one message under ``key`` with no address, which the outbox cancels: the
    record that it was due (a reminder nobody could receive is not due again)."""
    unique = list(dict.fromkeys(a.strip() for a in addresses if a and "@" in a))
    known = {p.email.lower(): p for p in people if p.email}
    known |= _people_by_email(a for a in unique if a.lower() not in known)
    payload: dict[str, Any] = {"subject": subject, "text": text}
    messages = [
        message_enqueue(
            key=_address_key(key, address),
            purpose=purpose,
            transport=Transport.EMAIL,
            address=address,
            payload=payload,
            recipient=known.get(address.lower()),
            group=group,
        )
        for address in unique
    ]
    if not messages and record_when_nobody:
        messages.append(
            message_enqueue(
                key=key,
                purpose=purpose,
                transport=Transport.EMAIL,
                address="",
                payload=payload,
                group=group,
            )
        )
    return messages


def email_recorded(key: str) -> bool:
    """Whether a message was written under ``key`` (for any address, or for nobody)."""
    return Message.objects.filter(Q(key=key) | Q(key__startswith=key + ADDRESS_SEPARATOR)).exists()


def email_keys_recorded(*, incident_ids: Iterable[int], purposes: Iterable[str]) -> set[str]:
    """The keys (without addresses) of the messages of these purposes about these
    incidents: one query, through the outbox's group index."""
    groups = [incident_group(pk) for pk in incident_ids]
    if not groups:
        return set()
    keys = Message.objects.filter(group__in=groups, purpose__in=list(purposes)).values_list(
        "key", flat=True
    )
    return {base_key(key) for key in keys}


# --- what the outbox asks of this room ---------------------------------------------------


def _prepare_incident_email(message: Message) -> dict[str, Any] | None:
    """Right before a reminder or notice goes out (at its first attempt or a retry an
    hour later): nothing for the record of one nobody could receive, nothing once the
    incident is resolved, and no reminder to post an update that has been posted since
    it was written."""
    if not message.address:
        return None
    incident_id = incident_id_of(message.group)
    if incident_id is None:
        return None
    incident = Incident.objects.filter(pk=incident_id).only("status").first()
    if incident is None or incident.status not in OPEN_STATUSES:
        return None
    if message.purpose == REMINDER:
        kind = message.key.split(":")[2]
        since = StatusUpdate.objects.filter(
            incident_id=incident_id, created_at__gt=message.created_at
        )
        if kind == ReminderKind.STATUS_PAGE_DEADLINE:
            since = since.filter(audience=UpdateAudience.PUBLIC)
        if since.exists():
            return None
    return message.payload


def register() -> None:
    """Tell the outbox how to re-check reminders and notices (status updates and other
    e-mail go out as written)."""
    purpose_register(Purpose(REMINDER, prepare=_prepare_incident_email))
    purpose_register(Purpose(NOTICE, prepare=_prepare_incident_email))
