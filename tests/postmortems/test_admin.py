"""The admin: pages render, actions go through the services, published is read-only."""

import pytest
from django.urls import reverse

from postmortems import services
from postmortems.models import ActionItem, PostmortemStatus
from tests.postmortems.factories import ActionItemFactory, postmortem_for, ready_to_publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def postmortem(team, member):
    pm = postmortem_for(team=team, actor=member, severity="SEV1")
    ActionItemFactory(actor=member, postmortem=pm, owner=member)
    return pm


@pytest.mark.parametrize("model", ["postmortem", "actionitem", "amendment", "notificationrecord"])
def test_changelists_render(client, staff, postmortem, model):
    client.force_login(staff)
    response = client.get(reverse(f"admin:postmortems_{model}_changelist"))
    assert response.status_code == 200


def test_change_pages_and_history_render(client, staff, postmortem):
    client.force_login(staff)
    item = ActionItem.objects.get()
    for url in (
        reverse("admin:postmortems_postmortem_change", args=[postmortem.pk]),
        reverse("admin:postmortems_postmortem_history", args=[postmortem.pk]),
        reverse("admin:postmortems_actionitem_change", args=[item.pk]),
        reverse("admin:postmortems_actionitem_history", args=[item.pk]),
    ):
        assert client.get(url).status_code == 200, url


def test_publish_action_goes_through_the_service(client, staff, member, postmortem):
    client.force_login(staff)
    url = reverse("admin:postmortems_postmortem_changelist")
    response = client.post(
        url, {"action": "submit", "_selected_action": [postmortem.pk]}, follow=True
    )
    assert "Submitted 1 postmortem(s)." in response.content.decode()
    response = client.post(
        url, {"action": "publish", "_selected_action": [postmortem.pk]}, follow=True
    )
    assert "not ready to publish" in response.content.decode()
    ready_to_publish(postmortem, member)
    client.post(url, {"action": "publish", "_selected_action": [postmortem.pk]})
    postmortem.refresh_from_db()
    assert postmortem.status == PostmortemStatus.PUBLISHED
    assert postmortem.approved_by == staff


def test_published_postmortem_is_read_only_in_the_admin(client, staff, member, postmortem):
    ready_to_publish(postmortem, member)
    services.postmortem_submit(postmortem=postmortem, actor=member)
    services.postmortem_publish(postmortem=postmortem, actor=member)
    client.force_login(staff)
    page = client.get(reverse("admin:postmortems_postmortem_change", args=[postmortem.pk]))
    assert 'name="summary"' not in page.content.decode()


def test_admin_forms_reject_outsiders_instead_of_failing(client, staff, postmortem, outsider):
    client.force_login(staff)
    item = ActionItem.objects.get()
    response = client.post(
        reverse("admin:postmortems_actionitem_change", args=[item.pk]),
        {
            "title": item.title,
            "description": "",
            "owner": outsider.pk,
            "priority": "P1",
            "due_date": "2026-03-10",
            "kind": "preventive",
            "tracker_url": "",
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert "Not a member of team Payments." in response.content.decode()
    item.refresh_from_db()
    assert item.owner != outsider


def test_admin_creates_an_action_item_through_the_service(client, staff, member, postmortem):
    client.force_login(staff)
    response = client.post(
        reverse("admin:postmortems_actionitem_add"),
        {
            "incident": postmortem.incident_id,
            "postmortem": postmortem.pk,
            "title": "Alert on pool saturation",
            "description": "",
            "owner": member.pk,
            "priority": "P0",
            "due_date": "2026-03-20",
            "kind": "detective",
            "tracker_url": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = ActionItem.objects.get(title="Alert on pool saturation")
    assert created.created_by == staff
    assert created.history.count() == 1
