import datetime

import factory

from incidents import services as incident_services
from postmortems import services
from postmortems.models import ActionItem, Postmortem
from tests.incidents.factories import IncidentFactory


def resolved_incident(*, team, actor, severity="SEV2", **kwargs):
    """An incident declared and resolved through the services (which creates the
    postmortem draft when the severity requires one)."""
    incident = IncidentFactory(team=team, actor=actor, severity=severity, **kwargs)
    return incident_services.incident_resolve(incident=incident, actor=actor)


def postmortem_for(*, team, actor, severity="SEV2", **kwargs) -> Postmortem:
    incident = resolved_incident(team=team, actor=actor, severity=severity, **kwargs)
    return Postmortem.objects.get(incident=incident)


class ActionItemFactory(factory.Factory):
    """Creates action items through the service."""

    class Meta:
        model = ActionItem

    title = factory.Sequence(lambda n: f"Add a guardrail #{n}")
    priority = "P1"
    due_date = factory.LazyFunction(lambda: datetime.date(2026, 3, 10))
    kind = "preventive"

    @classmethod
    def _create(cls, model_class, *, actor=None, **kwargs):
        return services.action_item_create(actor=actor, **kwargs)

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise NotImplementedError("ActionItemFactory only creates (through the service).")


def ready_to_publish(postmortem, actor):
    """Fill the sections publishing requires, with system-focused text."""
    return services.postmortem_update(
        postmortem=postmortem,
        actor=actor,
        summary="Checkout returned errors for 40 minutes after a config deploy.",
        root_cause="The deploy pipeline applied a connection-pool limit of 5 without a canary.",
        whys=[
            {
                "question": "Why did checkout fail?",
                "answer": "The database connection pool was exhausted.",
            },
            {
                "question": "Why was the pool exhausted?",
                "answer": "A config change lowered its limit and no check validates the limit.",
            },
        ],
    )
