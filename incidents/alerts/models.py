"""Alert ingestion: integrations (where monitoring tools send events), the alerts they
create (at most one open per integration and dedup key, by a partial unique index), every
raw event received (also the Events API inbox), and the per-integration rate-limit
counter."""

import hashlib

from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from common.indexes import BrinIndex
from incidents.models import Incident, Service, Severity
from oncall.teams.models import Team

DEFAULT_SEVERITY_MAPPING: dict[str, str] = {
    "critical": "SEV1",
    "error": "SEV2",
    "warning": "SEV3",
    "info": "SEV4",
}


def default_severity_mapping() -> dict[str, str]:
    return dict(DEFAULT_SEVERITY_MAPPING)


def routing_key_hash(routing_key: str) -> str:
    """Integrations store only this digest of their key; the key is shown once."""
    return hashlib.sha256(routing_key.encode()).hexdigest()


class IntegrationKind(models.TextChoices):
    EVENTS_V2 = "events_v2", "Events API v2 (PagerDuty-compatible)"
    ALERTMANAGER = "alertmanager", "Prometheus Alertmanager"
    WEBHOOK = "webhook", "Generic webhook"


class Integration(models.Model):
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="integrations")
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="integrations"
    )
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=IntegrationKind.choices)
    routing_key_hash = models.CharField(max_length=64, unique=True, editable=False)
    routing_key_hint = models.CharField(
        max_length=8, editable=False, help_text="The first characters of the key, to recognise it."
    )
    enabled = models.BooleanField(default=True)
    severity_mapping = models.JSONField(
        default=default_severity_mapping,
        blank=True,
        help_text='Source severity → Tocsin severity name, e.g. {"critical": "SEV1"}.',
    )
    default_severity = models.CharField(
        max_length=10, default="SEV3", help_text="Used when the source severity is not mapped."
    )
    auto_resolve = models.BooleanField(
        default=True, help_text="Resolve the incident when the source says its alerts resolved."
    )
    rate_limit_per_minute = models.PositiveIntegerField(
        default=1200, help_text="Events accepted per minute; 0 = unlimited. Past it: 429."
    )
    storm_threshold_per_minute = models.PositiveIntegerField(
        default=20,
        help_text=(
            "New incidents per minute past which new alerts join one alert-storm incident; "
            "0 = never group."
        ),
    )
    # Generic webhook: dotted JSON paths into the posted document ("alert.title",
    # "items.0.id"); resolve when the value at resolve_path equals resolve_value.
    title_path = models.CharField(max_length=200, blank=True)
    dedup_key_path = models.CharField(max_length=200, blank=True)
    severity_path = models.CharField(max_length=200, blank=True)
    resolve_path = models.CharField(max_length=200, blank=True)
    resolve_value = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(excluded_fields=["routing_key_hash"])

    class Meta:
        ordering = ["team", "name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="unique_integration_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class AlertStatus(models.TextChoices):
    TRIGGERED = "triggered", "Triggered"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class Alert(models.Model):
    """One alert per (integration, dedup key) while it is open: repeated triggers bump
    ``count`` and ``last_seen`` instead of opening another incident. Written by the
    ingestion service only (never edited by people), so it keeps no history; the raw
    events are in AlertEvent."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="alerts")
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    dedup_key = models.CharField(max_length=255)
    is_open = models.BooleanField(default=True)
    status = models.CharField(
        max_length=20, choices=AlertStatus.choices, default=AlertStatus.TRIGGERED
    )
    summary = models.CharField(max_length=1024)
    source = models.CharField(max_length=255, blank=True)
    severity = models.ForeignKey(Severity, null=True, on_delete=models.PROTECT, related_name="+")
    source_severity = models.CharField(max_length=50, blank=True)
    # What a runbook matcher reads: the alert's name and its labels.
    name = models.CharField(max_length=255, blank=True)
    labels = models.JSONField(default=dict, blank=True)
    payload = models.JSONField(default=dict, help_text="The latest raw event for this alert.")
    count = models.PositiveIntegerField(default=1)
    storm = models.BooleanField(default=False, help_text="Grouped into an alert-storm incident.")
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen", "-id"]
        constraints = [
            # Two identical events racing each other create ONE alert (and incident): the
            # second insert waits on this index, fails, and joins the first.
            models.UniqueConstraint(
                fields=["integration", "dedup_key"],
                condition=Q(is_open=True),
                name="one_open_alert_per_integration_dedup_key",
            ),
        ]
        indexes = [
            models.Index(fields=["integration", "first_seen"]),
            models.Index(fields=["incident", "is_open"]),
            models.Index(fields=["dedup_key"]),
        ]

    def __str__(self) -> str:
        return f"{self.dedup_key}: {self.summary[:60]}"


class AlertEvent(models.Model):
    """Every accepted event, as received (append-only), and the inbox of the Events API:
    ``POST /v2/enqueue`` stores the event here (``processed_at`` empty) and answers; a
    Celery task (and, for a lost task, the inbox sweep) then applies it and sets
    ``alert`` and ``processed_at``.

    Every accepted event is one insert on the hot path, so the table carries only the
    indexes that insert must maintain: the primary key, the integration and the small
    partial inbox index. ``alert`` is indexed only once set (by the worker), and
    ``received_at`` by a BRIN index (a few pages for millions of rows, next to nothing
    per insert), enough for the time-range filters of pruning and the admin."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="events")
    alert = models.ForeignKey(
        Alert,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="events",
        db_index=False,  # see alert_event_alert below
    )
    action = models.CharField(max_length=20)
    dedup_key = models.CharField(max_length=255)
    payload = models.JSONField()
    received_at = models.DateTimeField()
    processed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the event was applied; empty = still queued."
    )

    class Meta:
        # Ids are handed out in arrival order: newest first without a sort index.
        ordering = ["-id"]
        indexes = [
            # The inbox: only the few events not yet applied, per key in arrival order.
            models.Index(
                fields=["integration", "dedup_key", "id"],
                condition=Q(processed_at__isnull=True),
                name="alert_event_inbox",
            ),
            models.Index(
                fields=["alert"], condition=Q(alert__isnull=False), name="alert_event_alert"
            ),
            BrinIndex(fields=["received_at"], name="alert_event_received_brin"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.dedup_key}"


class IngestRateWindow(models.Model):
    """Events counted per integration and minute, in one row per database session
    (``shard``, the PostgreSQL backend): a session's upsert never waits for another's
    row, so the count can be taken in the same statement, and transaction, as the
    stored event. The limit is checked against the sum of the window's rows, which
    keeps it right across all web processes and hosts (a per-process cache would
    not)."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="+")
    window_start = models.DateTimeField()
    shard = models.IntegerField(default=0)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "window_start", "shard"], name="unique_rate_window_shard"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.integration_id}@{self.window_start:%H:%M}/{self.shard}: {self.count}"


class ChangeEvent(models.Model):
    """A change (a deploy, a config push) reported through the Change Events API
    (``POST /v2/change/enqueue``). Changes never open incidents; they are shown next to
    the incidents of the same service, as context for whoever is responding. Written by
    the ingestion service only (append-only), so it keeps no history."""

    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="change_events"
    )
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="change_events"
    )
    summary = models.CharField(max_length=1024)
    source = models.CharField(max_length=255, blank=True)
    timestamp = models.DateTimeField(help_text="When the change happened (the sender's clock).")
    links = models.JSONField(default=list, blank=True)
    custom_details = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [
            models.Index(fields=["service", "timestamp"], name="change_event_service_time"),
        ]

    def __str__(self) -> str:
        return f"{self.timestamp:%Y-%m-%d %H:%M} {self.summary[:60]}"


class HeartbeatMonitor(models.Model):
    """Something that must call in regularly (a cron job, a backup, a queue consumer):
    it pings ``/v2/heartbeats/<name>/ping`` with its integration's key, and when no ping
    arrives for ``interval_seconds`` the beat opens an incident through that integration;
    the next ping resolves it. ``expires_at`` (last ping, or creation, + interval) is what
    the beat scans, by an index. Created and deleted by managers, pinged by machines (one
    write a ping), so it keeps no history: pings would drown the edits in it."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="heartbeat_monitors")
    service = models.ForeignKey(
        Service,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="heartbeat_monitors",
    )
    integration = models.ForeignKey(
        Integration,
        on_delete=models.CASCADE,
        related_name="heartbeat_monitors",
        help_text="Pings authenticate with its key; an expiry alerts through it.",
    )
    name = models.CharField(max_length=100)
    interval_seconds = models.PositiveIntegerField(
        help_text="Expired when no ping arrives for this long (at least 60 s)."
    )
    enabled = models.BooleanField(default=True)
    last_ping_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(help_text="Last ping (or creation) + the interval.")
    expired = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["team", "name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="unique_heartbeat_name"),
            models.CheckConstraint(
                condition=Q(interval_seconds__gte=60), name="heartbeat_interval_at_least_60s"
            ),
        ]
        indexes = [
            # The beat: due monitors only (enabled, not yet expired), by expiry.
            models.Index(
                fields=["expires_at"],
                condition=Q(enabled=True, expired=False),
                name="heartbeat_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (every {self.interval_seconds} s)"
