"""The postmortem e-mails go out through the outbox: each NotificationRecord becomes an
outbox message under the same key (so nothing already sent is sent again, and what was
still unsent is delivered by the outbox), then the table goes.

The purposes and groups are written out here (not imported) so that this migration keeps
meaning what it meant when later code changes."""

from django.conf import settings
from django.db import migrations

PURPOSES = {
    "postmortem_sla_breached": "postmortems.sla_breached",
    "postmortem_escalated": "postmortems.sla_escalated",
    "action_item_overdue": "postmortems.action_item_overdue",
    "overdue_digest": "postmortems.overdue_digest",
}
BATCH = 1000


def _group(record) -> str:
    if record.postmortem_id:
        return f"postmortem:{record.postmortem_id}"
    if record.action_item_id:
        return f"action_item:{record.action_item_id}"
    return ""


def _status(record, max_attempts: int) -> str:
    if record.sent_at is not None:
        return "sent"
    # The old deliverer had given up on it: so does the outbox.
    return "failed" if record.attempts >= max_attempts else "queued"


def records_to_outbox(apps, schema_editor):
    Message = apps.get_model("outbox", "Message")
    NotificationRecord = apps.get_model("postmortems", "NotificationRecord")
    max_attempts = getattr(settings, "POSTMORTEM_NOTIFICATION_MAX_ATTEMPTS", 5)
    batch = []
    for record in NotificationRecord.objects.order_by("pk").iterator(chunk_size=BATCH):
        status = _status(record, max_attempts)
        batch.append(
            Message(
                key=record.key,
                purpose=PURPOSES.get(record.kind, f"postmortems.{record.kind}")[:40],
                transport="email",
                address=record.to_email,
                payload={"subject": record.subject, "text": record.body},
                recipient_id=record.recipient_id,
                group=_group(record),
                status=status,
                due_at=record.created_at,
                # An unsent one starts afresh in the outbox, with its attempts.
                attempts=record.attempts if status != "queued" else 0,
                last_error=record.last_error,
                created_at=record.created_at,
                sent_at=record.sent_at,
            )
        )
        if len(batch) >= BATCH:
            Message.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    Message.objects.bulk_create(batch, ignore_conflicts=True)


def outbox_to_records(apps, schema_editor):
    """Back to records, so a downgrade does not send them again either."""
    Message = apps.get_model("outbox", "Message")
    NotificationRecord = apps.get_model("postmortems", "NotificationRecord")
    Postmortem = apps.get_model("postmortems", "Postmortem")
    ActionItem = apps.get_model("postmortems", "ActionItem")
    kinds = {purpose: kind for kind, purpose in PURPOSES.items()}
    postmortems = set(Postmortem.objects.values_list("pk", flat=True))
    items = set(ActionItem.objects.values_list("pk", flat=True))
    batch = []
    query = Message.objects.filter(purpose__in=list(kinds)).order_by("pk")
    for message in query.iterator(chunk_size=BATCH):
        kind, _, number = message.group.partition(":")
        pk = int(number) if number.isdigit() else None
        batch.append(
            NotificationRecord(
                key=message.key,
                kind=kinds[message.purpose],
                recipient_id=message.recipient_id,
                to_email=message.address,
                subject=str(message.payload.get("subject", ""))[:255],
                body=str(message.payload.get("text", "")),
                postmortem_id=pk if kind == "postmortem" and pk in postmortems else None,
                action_item_id=pk if kind == "action_item" and pk in items else None,
                created_at=message.created_at,
                sent_at=message.sent_at,
                attempts=message.attempts,
                last_error=message.last_error,
            )
        )
        if len(batch) >= BATCH:
            NotificationRecord.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    NotificationRecord.objects.bulk_create(batch, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("postmortems", "0001_initial"),
        ("outbox", "0001_outbox"),
    ]

    operations = [
        migrations.RunPython(records_to_outbox, outbox_to_records),
        migrations.DeleteModel(name="NotificationRecord"),
    ]
