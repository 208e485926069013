from django.db import migrations

# The product's default time-based escalation: SEV1/SEV2 unresolved after 30 minutes
# notifies the team lead, after 60 minutes the engineering manager, and with customer
# impact for over an hour the executive list (whose addresses an admin fills in).
RULES = [
    (level, minutes, target, impact)
    for level in (1, 2)
    for minutes, target, impact in (
        (30, "team_lead", False),
        (60, "engineering_manager", False),
        (60, "executive_list", True),
    )
]


def seed(apps, schema_editor):
    Severity = apps.get_model("incidents", "Severity")
    Rule = apps.get_model("incidents", "EscalationNoticeRule")
    for level, minutes, target, impact in RULES:
        severity = Severity.objects.filter(level=level).first()
        if severity is None:
            continue
        Rule.objects.get_or_create(
            severity=severity,
            after_minutes=minutes,
            target=target,
            defaults={"requires_customer_impact": impact},
        )


def unseed(apps, schema_editor):
    apps.get_model("incidents", "EscalationNoticeRule").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("incidents", "0004_communication")]
    operations = [migrations.RunPython(seed, unseed)]
