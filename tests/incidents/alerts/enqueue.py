"""Talking to the Events API v2 at POST /v2/enqueue as an alert source does."""

import json

from django.test import Client, TestCase


def post(body, client=None):
    """POST an event, then run what its commit would start (the task that applies it;
    Celery is eager here, see ``make_integration``)."""
    client = client or Client()
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post("/v2/enqueue", data=data, content_type="application/json")


def trigger(key, dedup_key=None, summary="Disk full on db1", severity="critical", **extra):
    body = {
        "routing_key": key,
        "event_action": "trigger",
        "payload": {"summary": summary, "source": "db1", "severity": severity},
        **extra,
    }
    if dedup_key is not None:
        body["dedup_key"] = dedup_key
    return body
