import pytest

from incidents.alerts.services.integrations import integration_create


@pytest.fixture
def severities(db):
    """The seeded severity matrix. A transactional test flushes the tables after it
    runs, seeded rows included, so tests that come after it seed them again."""
    from importlib import import_module

    from incidents.models import Severity

    seed = import_module("incidents.migrations.0002_seed_severities")
    for row in seed.SEVERITIES:
        # As the later migration sets it: SEV1/SEV2 high urgency, the milder ones low.
        urgency = "high" if row["level"] <= 2 else "low"
        Severity.objects.get_or_create(name=row["name"], defaults={**row, "urgency": urgency})
    return Severity.objects.order_by("level")


@pytest.fixture
def make_integration(team, severities, eager_celery, settings):
    """``make_integration(kind=..., **settings)`` → (integration, routing_key). Celery is
    eager: an event stored by /v2/enqueue is applied by its task when the request commits
    (in a live server's thread too)."""
    settings.ALERT_INBOX_KICK_SECONDS = 0  # one drain task per event, no delay

    def make(kind="events_v2", name=None, team_=None, **fields):
        return integration_create(
            actor=None,
            team=team_ or team,
            name=name or f"{kind} integration",
            kind=kind,
            **fields,
        )

    return make
