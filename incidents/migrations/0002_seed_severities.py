from datetime import timedelta

from django.db import migrations

SEVERITIES = [
    {
        "level": 1,
        "name": "SEV1",
        "label": "critical",
        "description": "Critical: the product or a core function is down for many customers, "
        "data is being lost, or security is breached.",
        "examples": "Checkout fails for all customers\nProduction database unavailable\n"
        "Customer data exposed",
        "ack_target": timedelta(minutes=5),
        "resolve_target": timedelta(hours=1),
        "postmortem_required": True,
        "status_page_deadline": timedelta(minutes=5),
        "update_cadence": timedelta(minutes=15),
    },
    {
        "level": 2,
        "name": "SEV2",
        "label": "high",
        "description": "High: a major function is degraded or down for a subset of customers; "
        "no workaround.",
        "examples": "Payments in one region failing\nLogin latency above 10 s\n"
        "Mobile push notifications not delivered",
        "ack_target": timedelta(minutes=15),
        "resolve_target": timedelta(hours=4),
        "postmortem_required": True,
        "status_page_deadline": timedelta(minutes=5),
        "update_cadence": timedelta(minutes=15),
    },
    {
        "level": 3,
        "name": "SEV3",
        "label": "medium",
        "description": "Medium: a minor function is impaired, or a major one with a workaround.",
        "examples": "Report export slow\nOne replica down with failover working\n"
        "Elevated error rate on a non-critical endpoint",
        "ack_target": timedelta(hours=1),
        "resolve_target": timedelta(days=3),
        "postmortem_required": False,
        "status_page_deadline": None,
        "update_cadence": None,
    },
    {
        "level": 4,
        "name": "SEV4",
        "label": "low",
        "description": "Low: cosmetic or internal issue with no customer impact; fix next sprint.",
        "examples": "Typo on a settings page\nA flaky internal dashboard\n"
        "Disk usage trending up on a non-critical host",
        "ack_target": timedelta(hours=24),
        "resolve_target": timedelta(days=14),
        "postmortem_required": False,
        "status_page_deadline": None,
        "update_cadence": None,
    },
]


def seed(apps, schema_editor):
    Severity = apps.get_model("incidents", "Severity")
    for row in SEVERITIES:
        Severity.objects.update_or_create(level=row["level"], defaults=row)


def unseed(apps, schema_editor):
    apps.get_model("incidents", "Severity").objects.filter(
        name__in=[row["name"] for row in SEVERITIES], incidents__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
