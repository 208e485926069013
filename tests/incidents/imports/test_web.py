"""The staff import page through Django's client: who may use it, the plan shown, Apply
applying that same plan once, and errors as pages (never a 500)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.imports.services import import_current
from oncall.schedules.models import Schedule
from tests.incidents.imports.pagerduty_standin import TOKEN, PagerDutyStandIn
from tests.oncall.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def standin():
    with PagerDutyStandIn() as server:
        yield server


def _show(client, standin, token=TOKEN):
    return client.post(
        "/imports/", {"source": "pagerduty", "token": token, "base_url": standin.url}
    )


def test_a_member_gets_403(client, member):
    client.force_login(member)
    assert client.get("/imports/").status_code == 403
    assert client.post("/imports/apply/", {"plan_key": "x"}).status_code == 403


def test_staff_see_the_plan_then_apply_it_once(client, staff, standin):
    client.force_login(staff)
    assert client.get("/imports/").status_code == 200
    response = _show(client, standin)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Primary" in page and "round-robin assignment" in page
    assert TOKEN not in page  # the token is not sent back
    key = response.context["plan_key"]
    assert TOKEN not in str(client.session.get("imports.plan"))

    done = client.post("/imports/apply/", {"plan_key": key})
    assert done.status_code == 200
    assert Schedule.objects.filter(name="Primary").exists()
    again = client.post("/imports/apply/", {"plan_key": key})
    assert again.status_code == 409
    assert "Show the plan again" in again.content.decode()


def test_a_newer_plan_replaces_the_one_that_can_be_applied(client, staff, standin):
    client.force_login(staff)
    first = _show(client, standin).context["plan_key"]
    _show(client, standin)
    assert client.post("/imports/apply/", {"plan_key": first}).status_code == 409
    assert not Schedule.objects.filter(name="Primary").exists()


def test_a_wrong_token_is_shown_on_the_page(client, staff, standin):
    client.force_login(staff)
    response = _show(client, standin, token="nope")
    assert response.status_code == 400
    assert "refused the token" in response.content.decode()


def test_a_missing_token_is_a_field_error(client, staff):
    client.force_login(staff)
    response = client.post("/imports/", {"source": "pagerduty", "token": ""})
    assert response.status_code == 400


def test_loading_the_current_rows_takes_the_same_queries_however_many_there_are(db):
    def count():
        with CaptureQueriesContext(connection) as queries:
            import_current(source="pagerduty")
        return len(queries)

    TeamFactory()
    UserFactory()
    few = count()
    for _ in range(5):
        TeamFactory()
        UserFactory()
    assert count() == few


def test_a_private_address_is_refused_unless_allowed(client, staff, settings):
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = False
    client.force_login(staff)
    response = client.post(
        "/imports/",
        {"source": "pagerduty", "token": TOKEN, "base_url": "http://127.0.0.1:9/"},
    )
    assert response.status_code == 400
    assert "private" in response.content.decode() or "local" in response.content.decode()


def test_a_new_routing_key_is_shown_once_after_apply(client, staff, standin):
    standin.data["services"][0]["integrations"][0]["integration_key"] = ""
    client.force_login(staff)
    key = _show(client, standin).context["plan_key"]
    done = client.post("/imports/apply/", {"plan_key": key})
    ((_name, new_key),) = done.context["result"].new_keys
    assert new_key in done.content.decode()
    assert new_key not in str(client.session.items())
