"""Alert storms: past an integration's ``storm_threshold_per_minute`` new alerts per
minute, further new alerts join one open alert-storm incident per integration instead of
each declaring (and paging for) an incident of its own. The storm incident is declared
under a lock on the integration row, so concurrent storm alerts share one."""

from datetime import datetime, timedelta

from incidents import services
from incidents.alerts.models import Alert, Integration
from incidents.models import OPEN_STATUSES, Incident, Severity

STORM_WINDOW = timedelta(minutes=1)


def storm_incident_get_or_declare(*, integration: Integration, severity: Severity) -> Incident:
    """The integration's open alert-storm incident, declared when the first alert of a
    storm arrives. The integration row is locked so concurrent storm alerts share one."""
    storm_key = f"storm:{integration.pk}"
    open_storms = Incident.objects.filter(
        team_id=integration.team_id, dedup_key=storm_key, status__in=OPEN_STATUSES
    ).order_by("-id")
    storm = open_storms.first()
    if storm is not None:
        return storm
    # NO KEY: a plain FOR UPDATE would block the foreign-key checks (FOR KEY SHARE) of
    # concurrent alert inserts, which hold the team's numbering lock: a deadlock.
    Integration.objects.select_for_update(no_key=True).only("pk").get(pk=integration.pk)
    storm = open_storms.first()  # declared by another event while we waited for the lock
    if storm is not None:
        return storm
    threshold = integration.storm_threshold_per_minute
    return services.incident_create(
        actor=None,
        team=integration.team,
        title=f"Alert storm from {integration.name}",
        severity=severity,
        summary=(
            f"More than {threshold} new alerts per minute arrived from integration "
            f"{integration.name}; further new alerts are grouped into this incident "
            "instead of paging for each."
        ),
        services=[integration.service] if integration.service_id else [],
        source=integration.kind,
        dedup_key=storm_key,
    )


def integration_is_storming(*, integration: Integration, alert: Alert, now: datetime) -> bool:
    """Whether ``alert`` (just opened) arrives in a storm: at least the threshold of other
    new alerts from the integration in the last minute."""
    threshold = integration.storm_threshold_per_minute
    if not threshold:
        return False
    recent = (
        Alert.objects.filter(integration=integration, first_seen__gte=now - STORM_WINDOW)
        .exclude(pk=alert.pk)
        .count()
    )
    return recent >= threshold
