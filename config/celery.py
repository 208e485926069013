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


# Alert ingestion and PagerDuty mirroring (incidents/tasks.py).
beat("pagerduty-mirror-sweep", "incidents.tasks.pagerduty_mirror_sweep", timedelta(minutes=1))
beat("alert-housekeeping", "incidents.tasks.alert_housekeeping", timedelta(hours=1))
