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


@pytest.mark.parametrize("model", ["postmortem", "actionitem", "amendment"])
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
    assert response.status_code == 302, (
        response.context["adminform"].form.errors,
        [f.formset.errors for f in response.context["inline_admin_formsets"]],
    )
    created = ActionItem.objects.get(title="Alert on pool saturation")
    assert created.created_by == staff
    assert created.history.count() == 1


def _form_data(html: str) -> dict[str, str]:
    """The values a browser would post back from the admin change page."""
    from html.parser import HTMLParser

    data: dict[str, str] = {}

    class Form(HTMLParser):
        select = textarea = None

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            name = a.get("name")
            if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
                if a.get("type") == "checkbox":
                    if "checked" in a:
                        data[name] = a.get("value", "on")
                else:
                    data[name] = a.get("value") or ""
            elif tag == "select" and name:
                self.select = name
                if "multiple" not in a:  # a multiple select with nothing chosen sends nothing
                    data.setdefault(name, "")
            elif tag == "option" and self.select and "selected" in a:
                data[self.select] = a.get("value") or ""
            elif tag == "textarea" and name:
                self.textarea = name
                data[name] = ""

        def handle_endtag(self, tag):
            if tag == "select":
                self.select = None
            elif tag == "textarea":
                self.textarea = None

        def handle_data(self, text):
            if self.textarea:
                data[self.textarea] += text

    Form().feed(html)
    return data


def test_admin_inline_sections_go_through_the_service(client, staff, postmortem):
    """Whys added in the admin are saved by postmortem_update: positioned, and recorded
    on the postmortem's history under the staff member's name."""
    client.force_login(staff)
    url = reverse("admin:postmortems_postmortem_change", args=[postmortem.pk])
    data = _form_data(client.get(url).content.decode())
    prefix = next(
        k[: -len("-TOTAL_FORMS")] for k in data if k.endswith("TOTAL_FORMS") and "why" in k
    )
    start = int(data[f"{prefix}-TOTAL_FORMS"])
    for offset, (question, answer) in enumerate(
        [("Why did checkout fail?", "The pool ran dry."), ("Why?", "No alert on pool size.")]
    ):
        index = start + offset
        data[f"{prefix}-{index}-position"] = str(index + 10)
        data[f"{prefix}-{index}-question"] = question
        data[f"{prefix}-{index}-answer"] = answer
        data[f"{prefix}-{index}-postmortem"] = str(postmortem.pk)
    data[f"{prefix}-TOTAL_FORMS"] = str(start + 2)
    history_before = postmortem.history.count()
    response = client.post(url, data)
    assert response.status_code == 302, (
        response.context["adminform"].form.errors,
        [f.formset.errors for f in response.context["inline_admin_formsets"]],
    )
    whys = list(postmortem.whys.order_by("position"))
    assert [w.question for w in whys][-2:] == ["Why did checkout fail?", "Why?"]
    assert [w.position for w in whys] == list(range(len(whys)))  # renumbered by the service
    assert postmortem.history.count() == history_before + 1
    assert postmortem.history.first().history_user == staff
