"""Demo data for runbooks and incident communication, called by seed_demo (by name, so
incidents does not import runbooks). Idempotent: a team that has runbooks is skipped."""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from incidents.communication.models import (
    EscalationNoticeRule,
    NoticeRecipient,
    MaintenanceWindow,
    TeamCommunicationSettings,
    UpdateAudience,
)
from incidents.communication.services.updates import status_update_post
from incidents.models import OPEN_STATUSES, Incident, Service
from oncall.teams.models import Team
from runbooks.models import Runbook
from runbooks.seed import starter_runbooks_install
from runbooks.services import runbook_attach_matching

PUBLIC_SERVICES = ["checkout-api", "payment-gateway", "ios-api", "push", "edge-lb"]


TESTED_DAYS_AGO = {
    "High latency": 20,
    "Database outage": 120,
    "Service down": 45,
    "High error rate": 10,
}


class Command(BaseCommand):
    help = "Demo runbooks (starter library), public services, stakeholders, maintenance."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        for service in Service.objects.filter(slug__in=PUBLIC_SERVICES, public=False):
            service.public = True
            service.save(update_fields=["public"])
        for rule in EscalationNoticeRule.objects.filter(
            target=NoticeRecipient.EXECUTIVE_LIST, emails=""
        ):
            rule.emails = "executives@tocsin.example"
            rule.save(update_fields=["emails"])
        installed = 0
        for team in Team.objects.all():
            TeamCommunicationSettings.objects.get_or_create(
                team=team,
                defaults={
                    "stakeholder_emails": f"support@tocsin.example\n{team.slug}-stakeholders@tocsin.example",
                    "engineering_manager_emails": "eng-manager@tocsin.example",
                },
            )
            if Runbook.objects.filter(team=team).exists():
                continue
            installed += len(starter_runbooks_install(team=team, tested_days_ago=TESTED_DAYS_AGO))
            for incident in Incident.objects.filter(team=team, status__in=OPEN_STATUSES):
                runbook_attach_matching(incident=incident)
                if incident.severity.level <= 2 and incident.commander is not None:
                    status_update_post(
                        incident=incident,
                        actor=incident.commander,
                        message="We are investigating reports of errors and will update "
                        "within 15 minutes.",
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
        self.stdout.write(
            self.style.SUCCESS(
                f"Runbooks and communication demo ready ({installed} runbooks added). "
                "Public status page: /status/"
            )
        )
