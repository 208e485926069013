"""The Celery application. Beat schedules are declared here, in code."""

import os
from datetime import timedelta

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tocsin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The beat schedule. An entry is named after its task (``<app>.<room>.<verb>``); each task is
# thin and safe to run twice and concurrently (it takes due rows with SKIP LOCKED and
# records what it did), so a second beat or a late one does no harm.
app.conf.beat_schedule: dict[str, dict] = {}


def beat(task: str, every: timedelta) -> None:
    app.conf.beat_schedule[task] = {"task": task, "schedule": every}


# Paging: any escalation step that is due and not done (a lost task). Cheap when nothing
# is due (one index range scan), so it runs every second: a lost step is about 1 s late.
beat("incidents.paging.sweep", timedelta(seconds=1))
# The outbox: messages whose delivery task was lost or whose sender died mid-send.
beat("outbox.messages.sweep", timedelta(seconds=2))
# Alerts: apply stored Events API events whose task was lost; prune old raw events.
beat("incidents.alerts.sweep_inbox", timedelta(seconds=30))
beat("incidents.alerts.prune", timedelta(hours=1))
# Heartbeats: monitors silent past their interval open an incident.
beat("incidents.alerts.check_heartbeats", timedelta(seconds=60))
# PagerDuty mirroring: hand events written before the outbox existed to the outbox.
beat("incidents.mirroring.sweep", timedelta(minutes=1))
# Communication: status-update reminders and escalation notices.
beat("incidents.communication.remind", timedelta(minutes=1))
# On-call: handoff records and shift notifications.
beat("oncall.schedules.record_handoffs", timedelta(minutes=1))
# Postmortems: the 48-hour SLA, and reminders of overdue action items.
beat("postmortems.sla.enforce", timedelta(minutes=15))
beat("postmortems.action_items.remind_overdue", timedelta(hours=1))
# Audit log: rows older than AUDIT_RETENTION_DAYS (at least a year is always kept).
beat("oncall.audit.prune", timedelta(days=1))
# Runbooks: flag runbooks past their review date (daily).
beat("runbooks.reviews.flag_stale", timedelta(days=1))
# Readiness: the weekly report to each team's managers. Hourly, because the outbox key is
# per ISO week: it sends once at the start of each week and a restarted beat loses nothing.
beat("readiness.report.email_weekly", timedelta(hours=1))
# Drills: start those due (inject the synthetic alert), then score those whose incident
# resolved and write their findings.
beat("readiness.drills.start_due", timedelta(seconds=30))
beat("readiness.drills.complete_finished", timedelta(seconds=60))
