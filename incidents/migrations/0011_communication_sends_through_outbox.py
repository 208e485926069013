"""Reminders and escalation notices go out through the outbox: their sent-records
(CommunicationReminder, EscalationNoticeSent) become outbox messages under the keys
that now say they were sent, so nothing already sent is sent again after the upgrade;
then the tables go.

The key formats are written out here (not imported) so that this migration keeps
meaning what it meant when later code changes."""

from datetime import UTC, datetime

from django.db import migrations

REMINDER = "communication.reminder"
NOTICE = "communication.notice"
BATCH = 1000


def _message(Message, *, key, purpose, incident_id, recipients, sent_at):
    return Message(
        key=key,
        purpose=purpose,
        transport="email",
        address=", ".join(recipients)[:500],
        payload={"subject": "", "text": "Sent before e-mail went through the outbox."},
        group=f"incident:{incident_id}",
        # A record with no addresses sent nothing: the outbox calls that cancelled.
        status="sent" if recipients else "cancelled",
        due_at=sent_at,
        attempts=1 if recipients else 0,
        created_at=sent_at,
        sent_at=sent_at if recipients else None,
    )


def records_to_outbox(apps, schema_editor):
    Message = apps.get_model("outbox", "Message")
    CommunicationReminder = apps.get_model("incidents", "CommunicationReminder")
    EscalationNoticeSent = apps.get_model("incidents", "EscalationNoticeSent")
    batch = []
    for row in CommunicationReminder.objects.order_by("pk").iterator(chunk_size=BATCH):
        due = row.due_at.astimezone(UTC).isoformat()
        batch.append(
            _message(
                Message,
                key=f"{REMINDER}:{row.incident_id}:{row.kind}:{due}",
                purpose=REMINDER,
                incident_id=row.incident_id,
                recipients=list(row.recipients or []),
                sent_at=row.sent_at,
            )
        )
        if len(batch) >= BATCH:
            Message.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    for row in EscalationNoticeSent.objects.order_by("pk").iterator(chunk_size=BATCH):
        batch.append(
            _message(
                Message,
                key=f"{NOTICE}:{row.incident_id}:{row.rule_id}",
                purpose=NOTICE,
                incident_id=row.incident_id,
                recipients=list(row.recipients or []),
                sent_at=row.sent_at,
            )
        )
        if len(batch) >= BATCH:
            Message.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    Message.objects.bulk_create(batch, ignore_conflicts=True)


def outbox_to_records(apps, schema_editor):
    """Back to sent-records, one per reminder or notice (its messages were one per
    address), so a downgrade does not send them again either."""
    Message = apps.get_model("outbox", "Message")
    CommunicationReminder = apps.get_model("incidents", "CommunicationReminder")
    EscalationNoticeSent = apps.get_model("incidents", "EscalationNoticeSent")
    Incident = apps.get_model("incidents", "Incident")
    EscalationNoticeRule = apps.get_model("incidents", "EscalationNoticeRule")
    reminders: dict[tuple, dict] = {}
    notices: dict[tuple, dict] = {}
    query = Message.objects.filter(purpose__in=[REMINDER, NOTICE]).order_by("pk")
    for message in query.iterator(chunk_size=BATCH):
        base = message.key.split("/", 1)[0]
        parts = base.split(":", 3)
        when = message.sent_at or message.created_at
        address = [message.address] if message.address and message.status == "sent" else []
        if message.purpose == REMINDER and len(parts) == 4:
            row = reminders.setdefault(
                (int(parts[1]), parts[2], datetime.fromisoformat(parts[3])),
                {"recipients": [], "sent_at": when},
            )
        elif message.purpose == NOTICE and len(parts) == 3:
            row = notices.setdefault(
                (int(parts[1]), int(parts[2])), {"recipients": [], "sent_at": when}
            )
        else:
            continue
        row["recipients"].extend(address)
    incidents = set(Incident.objects.values_list("pk", flat=True))
    rules = set(EscalationNoticeRule.objects.values_list("pk", flat=True))
    CommunicationReminder.objects.bulk_create(
        [
            CommunicationReminder(incident_id=i, kind=k, due_at=d, **row)
            for (i, k, d), row in reminders.items()
            if i in incidents
        ],
        ignore_conflicts=True,
        batch_size=BATCH,
    )
    EscalationNoticeSent.objects.bulk_create(
        [
            EscalationNoticeSent(incident_id=i, rule_id=r, **row)
            for (i, r), row in notices.items()
            if i in incidents and r in rules
        ],
        ignore_conflicts=True,
        batch_size=BATCH,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0010_urgency_and_outbox"),
        ("outbox", "0001_outbox"),
    ]

    operations = [
        migrations.RunPython(records_to_outbox, outbox_to_records),
        migrations.DeleteModel(name="CommunicationReminder"),
        migrations.DeleteModel(name="EscalationNoticeSent"),
    ]
