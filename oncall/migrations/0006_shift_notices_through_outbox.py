"""Shift notices are outbox messages now (key ``oncall.shift_notice:<schedule>:<user>:
<shift start>:<kind>``): the notices already sent become sent messages under those keys,
so none goes out a second time, and the table that recorded them goes."""

from datetime import UTC, timedelta

from django.db import migrations
from django.utils import timezone

PURPOSE = "oncall.shift_notice"
# Notices for shifts older than this can never be sent again (the handoff task looks
# back a few hours): they need no record.
KEEP = timedelta(days=3)


def notices_to_outbox(apps, schema_editor):
    ShiftNotice = apps.get_model("oncall", "ShiftNotice")
    Message = apps.get_model("outbox", "Message")
    rows = ShiftNotice.objects.filter(shift_start__gte=timezone.now() - KEEP).select_related("user")
    Message.objects.bulk_create(
        [
            Message(
                key=f"{PURPOSE}:{row.schedule_id}:{row.user_id}:"
                f"{row.shift_start.astimezone(UTC).isoformat()}:{row.kind}",
                purpose=PURPOSE,
                transport="email",
                address=row.user.email or "",
                recipient_id=row.user_id,
                group=f"schedule:{row.schedule_id}",
                status="sent",
                due_at=row.sent_at,
                created_at=row.sent_at,
                sent_at=row.sent_at,
            )
            for row in rows.iterator(chunk_size=500)
        ],
        ignore_conflicts=True,
        batch_size=500,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("oncall", "0005_phone_contacts_and_notification_rules"),
        ("outbox", "0001_outbox"),
    ]

    operations = [
        migrations.RunPython(notices_to_outbox, migrations.RunPython.noop),
        migrations.DeleteModel(name="ShiftNotice"),
    ]
