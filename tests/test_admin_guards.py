"""What the admin must not do behind the services' back."""

import pytest
from django.test import Client

from incidents.models import Incident
from oncall.contacts.models import ContactMethod
from tests.incidents.factories import IncidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(staff):
    client = Client()
    client.force_login(staff)
    return client


def test_incidents_cannot_be_deleted_in_the_admin(admin_client_, team, member):
    incident = IncidentFactory(team=team, actor=member)
    page = admin_client_.get("/admin/incidents/incident/")
    assert page.status_code == 200
    assert 'value="delete_selected"' not in page.content.decode()
    assert admin_client_.get(f"/admin/incidents/incident/{incident.pk}/delete/").status_code == 403
    response = admin_client_.post(
        "/admin/incidents/incident/",
        {"action": "delete_selected", "_selected_action": [incident.pk]},
    )
    assert Incident.objects.filter(pk=incident.pk).exists()
    assert response.status_code in (200, 302)


def test_admin_contact_method_gets_the_same_address_checks_as_the_api(
    admin_client_, member, settings
):
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = False
    form = {
        "user": member.pk,
        "kind": "webhook",
        "label": "",
        "address": "http://169.254.169.254/latest/meta-data/",
        "secret": "",
        "enabled": "on",
        "min_interval_seconds": 0,
    }
    response = admin_client_.post("/admin/oncall/contactmethod/add/", form)
    assert response.status_code == 200  # the form again, with the error
    assert "private, local or reserved address" in response.content.decode()
    assert not ContactMethod.objects.exists()
    form["address"] = "https://hooks.example.com/tocsin"
    assert admin_client_.post("/admin/oncall/contactmethod/add/", form).status_code == 302
    assert ContactMethod.objects.get().address == "https://hooks.example.com/tocsin"
