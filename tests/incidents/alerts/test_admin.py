"""Integrations in the admin: created through the service, key shown once, rotatable."""

import json
import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from incidents.alerts.models import Integration, routing_key_hash

pytestmark = pytest.mark.django_db


def test_staff_creates_an_integration_and_sees_its_key_once(staff, team, severities):
    client = Client()
    client.force_login(staff)
    response = client.post(
        "/admin/incidents/integration/add/",
        {
            "team": team.pk,
            "name": "Prometheus",
            "kind": "alertmanager",
            "enabled": "on",
            "severity_mapping": json.dumps({"critical": "SEV1", "page": "SEV1"}),
            "default_severity": "SEV3",
            "auto_resolve": "on",
            "rate_limit_per_minute": 100,
            "storm_threshold_per_minute": 10,
        },
        follow=True,
    )
    assert response.status_code == 200
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    key = re.search(r"\(shown only now\): ([0-9a-f]{32})", " ".join(messages)).group(1)
    integration = Integration.objects.get()
    assert integration.routing_key_hash == routing_key_hash(key)
    assert integration.severity_mapping == {"critical": "SEV1", "page": "SEV1"}
    assert integration.history.first().history_user == staff

    response = client.post(
        "/admin/incidents/integration/",
        {"action": "rotate_key", "_selected_action": [integration.pk]},
        follow=True,
    )
    messages = " ".join(str(m) for m in get_messages(response.wsgi_request))
    new_key = re.search(r"\(shown only now\): ([0-9a-f]{32})", messages).group(1)
    integration.refresh_from_db()
    assert new_key != key
    assert integration.routing_key_hash == routing_key_hash(new_key)


def test_admin_pages_render(staff, make_integration):
    integration, _ = make_integration()
    client = Client()
    client.force_login(staff)
    for url in (
        "/admin/incidents/integration/",
        f"/admin/incidents/integration/{integration.pk}/change/",
        "/admin/incidents/alert/",
        "/admin/incidents/alertevent/",
        "/admin/incidents/pagerdutymirror/",
        "/admin/incidents/mirrordelivery/",
    ):
        assert client.get(url).status_code == 200, url
