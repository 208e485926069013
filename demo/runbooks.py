"""Demo runbooks: the starter library in each team, attached to its open incidents.
Idempotent: a team that has runbooks is left alone."""

from django.db import transaction

from incidents.models import OPEN_STATUSES, Incident
from oncall.teams.models import Team
from runbooks.models import Runbook
from runbooks.seed import starter_runbooks_install
from runbooks.services import runbook_attach_matching

# When each starter runbook was last tested, so their review states differ.
TESTED_DAYS_AGO = {
    "High latency": 20,
    "Database outage": 120,
    "Service down": 45,
    "High error rate": 10,
    "Tocsin failover": 60,
}


@transaction.atomic
def runbooks_demo_seed() -> int:
    """Install the starter runbooks in each team that has none and attach them to the
    team's open incidents that match (those were declared before the runbooks existed).
    Returns how many runbooks were added."""
    installed = 0
    for team in Team.objects.all():
        if Runbook.objects.filter(team=team).exists():
            continue
        installed += len(starter_runbooks_install(team=team, tested_days_ago=TESTED_DAYS_AGO))
        for incident in Incident.objects.filter(team=team, status__in=OPEN_STATUSES):
            runbook_attach_matching(incident=incident)
    return installed
