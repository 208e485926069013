"""The Celery application. Beat schedules are declared here, in code."""

import os
from datetime import timedelta

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tocsin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Each entry names a thin task that is safe to run twice and concurrently.
app.conf.beat_schedule: dict[str, dict] = {}


def beat(name: str, task: str, every: timedelta) -> None:
    app.conf.beat_schedule[name] = {"task": task, "schedule": every}


# Communication (issue 6): reminders and time-based escalation every minute; runbook
# reviews daily.
beat(
    "incidents.remind_communications",
    "incidents.alerts.tasks.remind_communications",
    timedelta(minutes=1),
)
beat("runbooks.flag_stale_runbooks", "runbooks.tasks.flag_stale_runbooks", timedelta(days=1))
beat("postmortems-enforce-sla", "postmortems.tasks.enforce_postmortem_sla", timedelta(minutes=15))
beat(
    "postmortems-remind-overdue-action-items",
    "postmortems.tasks.remind_overdue_action_items",
    timedelta(hours=1),
)
beat("run-due-escalations", "incidents.run_due_escalations", timedelta(seconds=15))
beat("record-handoffs", "oncall.record_handoffs", timedelta(minutes=1))
# Alert ingestion and PagerDuty mirroring (incidents/tasks.py).
beat(
    "pagerduty-mirror-sweep", "incidents.alerts.tasks.pagerduty_mirror_sweep", timedelta(minutes=1)
)
beat("alert-inbox-sweep", "incidents.alert_inbox_sweep", timedelta(seconds=30))
beat("alert-housekeeping", "incidents.alerts.tasks.alert_housekeeping", timedelta(hours=1))
