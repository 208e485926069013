"""Demo incident communication: public services on the status page, stakeholder lists,
a first public update on the open SEV1/SEV2 incidents, a planned maintenance window.
Idempotent: what exists is kept."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from incidents.communication.models import (
    EscalationNoticeRule,
    NoticeRecipient,
    StatusUpdate,
    TeamCommunicationSettings,
    UpdateAudience,
)
from incidents.communication.services.updates import status_update_post
from incidents.models import OPEN_STATUSES, Incident, MaintenanceWindow, Service
from oncall.teams.models import Team

PUBLIC_SERVICES = ["checkout-api", "payment-gateway", "ios-api", "push", "edge-lb"]


@transaction.atomic
def communication_demo_seed() -> None:
    for service in Service.objects.filter(slug__in=PUBLIC_SERVICES, public=False):
        service.public = True
        service.save(update_fields=["public"])
    for rule in EscalationNoticeRule.objects.filter(
        target=NoticeRecipient.EXECUTIVE_LIST, emails=""
    ):
        rule.emails = "executives@tocsin.example"
        rule.save(update_fields=["emails"])
    for team in Team.objects.all():
        TeamCommunicationSettings.objects.get_or_create(
            team=team,
            defaults={
                "stakeholder_emails": f"support@tocsin.example\n{team.slug}-stakeholders@tocsin.example",
                "engineering_manager_emails": "eng-manager@tocsin.example",
            },
        )
    unannounced = (
        Incident.objects.filter(
            source="demo",
            status__in=OPEN_STATUSES,
            severity__level__lte=2,
            commander__isnull=False,
        )
        .exclude(pk__in=StatusUpdate.objects.values("incident"))
        .select_related("commander")
        .order_by("team__name", "-triggered_at", "-id")
    )
    for incident in unannounced:
        status_update_post(
            incident=incident,
            actor=incident.commander,
            message="We are investigating reports of errors and will update within 15 minutes.",
            audience=UpdateAudience.PUBLIC,
        )
    edge = Service.objects.filter(slug="edge-lb").first()
    if edge and not MaintenanceWindow.objects.exists():
        start = (timezone.now() + timedelta(days=1)).replace(
            hour=2, minute=0, second=0, microsecond=0
        )
        window = MaintenanceWindow.objects.create(
            team=edge.team,
            title="Load balancer firmware upgrade",
            description="Brief connection resets are possible during the window.",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
        )
        window.services.set([edge])
