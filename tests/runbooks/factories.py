import factory

from runbooks import services
from runbooks.models import Runbook
from tests.oncall.factories import TeamFactory

BODY = """## Overview
Checkout latency.

## Symptoms
Slow pages.

## Detection
Alert `HighLatency`.

## Triage steps
1. `kubectl -n checkout get pods`

## Mitigation
Scale out.

## Rollback
`kubectl rollout undo deploy/checkout`

## Communication
Status page.

## Escalation
Platform on-call.

## Post-incident
Postmortem.
"""


class RunbookFactory(factory.Factory):
    """Creates runbooks through the real service."""

    class Meta:
        model = Runbook

    team = factory.SubFactory(TeamFactory)
    title = factory.Sequence(lambda n: f"Runbook {n}")
    body = BODY
    services = ()
    matchers = None
    actor = None

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.runbook_create(**kwargs)
