import factory

from incidents import services
from incidents.models import Incident, Service, Severity
from tests.oncall.factories import TeamFactory


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    team = factory.SubFactory(TeamFactory)
    name = factory.Sequence(lambda n: f"Service {n}")
    slug = factory.Sequence(lambda n: f"service-{n}")


class IncidentFactory(factory.Factory):
    """Declares incidents through the real service, so every incident has its number,
    timeline and history like one declared by a person."""

    class Meta:
        model = Incident

    team = factory.SubFactory(TeamFactory)
    title = factory.Sequence(lambda n: f"Something is broken #{n}")
    severity = "SEV2"
    actor = None

    @classmethod
    def _create(cls, model_class, *, team, title, severity, actor, **kwargs):
        if isinstance(severity, str):
            severity = Severity.objects.get(name=severity)
        return services.incident_create(
            actor=actor, team=team, title=title, severity=severity, **kwargs
        )

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise NotImplementedError("IncidentFactory only creates (through the service).")
