"""Personal notification rules: a person says how they are reached for each urgency —
which method, how many minutes after the page — and the paging engine follows the plan
``notification_plan`` makes of them (every pageable method at once when there is none)."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from oncall.contacts.models import ContactMethod, NotificationRule
from oncall.contacts.selectors import notification_plan

pytestmark = pytest.mark.django_db

URL = "/api/v1/users/me/notification-rules/"


def method_of(user, kind="email", address=None, *, verified=True, **fields):
    address = address or (
        "+14155550100" if kind in ("sms", "voice") else f"{user.username}@example.com"
    )
    method = ContactMethod.objects.create(user=user, kind=kind, address=address, **fields)
    if verified and kind in ("sms", "voice"):
        method.verified_at = timezone.now()
        method.save(update_fields=["verified_at"])
    return method


def rule(user, method, delay, urgency="high", position=0):
    return NotificationRule.objects.create(
        user=user, contact_method=method, delay_minutes=delay, urgency=urgency, position=position
    )


def plan_of(user, urgency="high"):
    return [(delay, method.pk) for delay, method in notification_plan(user=user, urgency=urgency)]


# --- the API ------------------------------------------------------------------------------


def test_a_person_creates_lists_changes_and_deletes_their_rules(api, alice):
    client = api.as_user(alice)
    sms = method_of(alice, "sms")
    email = method_of(alice, "email")

    first = client.post(URL, {"contact_method": sms.pk, "delay_minutes": 0}, format="json")
    assert first.status_code == 201, first.json()
    assert first.json()["urgency"] == "high" and first.json()["position"] == 0
    assert first.json()["contact_method"] == {
        "id": sms.pk,
        "kind": "sms",
        "label": "",
        "address": "+14155550100",
        "pageable": True,
    }
    later = client.post(
        URL, {"contact_method": email.pk, "delay_minutes": 5, "urgency": "high"}, format="json"
    ).json()
    assert later["position"] == 1
    low = client.post(
        URL, {"contact_method": email.pk, "delay_minutes": 30, "urgency": "low"}, format="json"
    ).json()

    listed = client.get(URL).json()
    assert [(r["urgency"], r["delay_minutes"]) for r in listed] == [
        ("high", 0),
        ("high", 5),
        ("low", 30),
    ]

    patched = client.patch(f"{URL}{later['id']}/", {"delay_minutes": 10}, format="json")
    assert patched.status_code == 200 and patched.json()["delay_minutes"] == 10
    stored = NotificationRule.objects.get(pk=later["id"])
    assert stored.delay_minutes == 10 and stored.history.first().history_user == alice

    assert client.delete(f"{URL}{low['id']}/").status_code == 204
    assert client.get(f"{URL}{low['id']}/").status_code == 404
    assert plan_of(alice, "high") == [(0, sms.pk), (10, email.pk)]


def test_a_rule_on_someone_elses_contact_method_is_refused(api, alice, bob):
    bobs = method_of(bob, "email")
    client = api.as_user(alice)
    response = client.post(URL, {"contact_method": bobs.pk, "delay_minutes": 0}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"contact_method": ["Not one of your contact methods."]}
    missing = client.post(URL, {"contact_method": 999999, "delay_minutes": 0}, format="json")
    assert missing.json()["errors"] == response.json()["errors"]  # no hint that it exists

    own = rule(alice, method_of(alice), 0)
    moved = client.patch(f"{URL}{own.pk}/", {"contact_method": bobs.pk}, format="json")
    assert moved.status_code == 400 and "contact_method" in moved.json()["errors"]
    assert not NotificationRule.objects.filter(contact_method=bobs).exists()


def test_someone_elses_rule_is_a_404(api, alice, outsider):
    alices = rule(alice, method_of(alice), 0)
    other = api.as_user(outsider)
    assert other.get(f"{URL}{alices.pk}/").status_code == 404
    assert other.patch(f"{URL}{alices.pk}/", {"delay_minutes": 3}, format="json").status_code == 404
    assert other.delete(f"{URL}{alices.pk}/").status_code == 404
    assert other.get(URL).json() == []
    assert NotificationRule.objects.get(pk=alices.pk).delay_minutes == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"delay_minutes": 1441}, "delay_minutes"),
        ({"delay_minutes": -1}, "delay_minutes"),
        ({"delay_minutes": "soon"}, "delay_minutes"),
        ({"delay_minutes": 0, "urgency": "medium"}, "urgency"),
        ({"delay_minutes": 0, "colour": "red"}, "colour"),
        ({"delay_minutes": 0, "contact_method": None}, "contact_method"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, alice, body, field):
    method = method_of(alice)
    response = api.as_user(alice).post(URL, {"contact_method": method.pk, **body}, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not NotificationRule.objects.exists()


def test_two_rules_for_one_method_at_one_delay_are_refused(api, alice):
    method = method_of(alice)
    client = api.as_user(alice)
    body = {"contact_method": method.pk, "delay_minutes": 5}
    assert client.post(URL, body, format="json").status_code == 201
    again = client.post(URL, body, format="json")
    assert again.status_code == 400
    assert "already a rule" in again.json()["errors"]["delay_minutes"][0]
    other = client.post(URL, {**body, "delay_minutes": 6}, format="json").json()
    clash = client.patch(f"{URL}{other['id']}/", {"delay_minutes": 5}, format="json")
    assert clash.status_code == 400
    assert client.patch(f"{URL}{other['id']}/", {}, format="json").status_code == 400


def test_the_rule_list_costs_the_same_queries_for_one_rule_or_many(api, alice):
    client = api.as_user(alice)
    methods = [method_of(alice, "email", f"a{i}@example.com") for i in range(5)]
    rule(alice, methods[0], 0)
    client.get(URL)
    with CaptureQueriesContext(connection) as one:
        client.get(URL)
    for i, method in enumerate(methods[1:], start=1):
        rule(alice, method, i)
    with CaptureQueriesContext(connection) as five:
        assert len(client.get(URL).json()) == 5
    assert len(five) == len(one), "\n".join(q["sql"] for q in five.captured_queries)


# --- the plan -----------------------------------------------------------------------------


def test_without_rules_every_pageable_method_is_notified_at_once(alice):
    email = method_of(alice, "email")
    slack = method_of(alice, "slack", "U123")
    method_of(alice, "sms", verified=False)  # not verified: not pageable
    method_of(alice, "webhook", "https://hooks.example.com/x", enabled=False)
    voice = method_of(alice, "voice")
    assert plan_of(alice, "high") == [(0, email.pk), (0, slack.pk), (0, voice.pk)]
    assert plan_of(alice, "low") == plan_of(alice, "high")


def test_an_unverified_sms_method_is_not_in_the_plan_even_with_a_rule(alice):
    sms = method_of(alice, "sms", verified=False)
    email = method_of(alice, "email")
    rule(alice, sms, 0)
    rule(alice, email, 5)
    assert plan_of(alice) == [(5, email.pk)]
    sms.verified_at = timezone.now()
    sms.save(update_fields=["verified_at"])
    assert plan_of(alice) == [(0, sms.pk), (5, email.pk)]


def test_rules_go_by_delay_then_position_and_per_urgency(alice):
    sms, voice, email = method_of(alice, "sms"), method_of(alice, "voice"), method_of(alice)
    rule(alice, email, 15)
    rule(alice, voice, 0, position=2)
    rule(alice, sms, 0, position=1)
    rule(alice, sms, 5)  # the same method again later: a reminder
    rule(alice, email, 60, urgency="low")
    assert plan_of(alice, "high") == [(0, sms.pk), (0, voice.pk), (5, sms.pk), (15, email.pk)]
    assert plan_of(alice, "low") == [(60, email.pk)]


def test_rules_of_one_urgency_leave_the_other_on_the_default(alice):
    sms, email = method_of(alice, "sms"), method_of(alice)
    rule(alice, email, 30, urgency="low")
    assert plan_of(alice, "high") == [(0, sms.pk), (0, email.pk)]


def test_rules_whose_methods_cannot_page_fall_back_to_every_pageable_method(alice):
    email = method_of(alice, "email")
    disabled = method_of(alice, "slack", "U1", enabled=False)
    rule(alice, disabled, 0)
    assert plan_of(alice) == [(0, email.pk)]


def test_a_person_with_no_contact_method_has_an_empty_plan(alice, bob):
    rule(bob, method_of(bob), 0)
    assert plan_of(alice) == []


def test_the_plan_costs_two_queries_at_most(alice, django_assert_max_num_queries):
    methods = [method_of(alice, "email", f"a{i}@example.com") for i in range(4)]
    for i, method in enumerate(methods):
        rule(alice, method, i)
    with django_assert_max_num_queries(1):
        assert len(notification_plan(user=alice, urgency="high")) == 4
    with django_assert_max_num_queries(2):
        assert len(notification_plan(user=alice, urgency="low")) == 4


# --- the admin ----------------------------------------------------------------------------


def test_staff_edit_a_persons_rules_inline_on_the_contact_method(staff, alice):
    method = method_of(alice, "email")
    client = Client()
    client.force_login(staff)
    page = f"/admin/oncall/contactmethod/{method.pk}/change/"
    assert client.get(page).status_code == 200
    form = {
        "user": alice.pk,
        "kind": "email",
        "label": "",
        "address": method.address,
        "secret": "",
        "enabled": "on",
        "min_interval_seconds": 60,
        "notification_rules-TOTAL_FORMS": 2,
        "notification_rules-INITIAL_FORMS": 0,
        "notification_rules-MIN_NUM_FORMS": 0,
        "notification_rules-MAX_NUM_FORMS": 1000,
        "notification_rules-0-urgency": "high",
        "notification_rules-0-delay_minutes": 5,
        "notification_rules-0-position": 0,
        "notification_rules-0-contact_method": method.pk,
        "notification_rules-1-urgency": "high",
        "notification_rules-1-delay_minutes": 5,
        "notification_rules-1-position": 1,
        "notification_rules-1-contact_method": method.pk,
    }
    clash = client.post(page, form)
    assert clash.status_code == 200  # the form again, with the error
    assert not NotificationRule.objects.exists()

    form["notification_rules-1-delay_minutes"] = 10
    saved = client.post(page, form)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    assert plan_of(alice) == [(5, method.pk), (10, method.pk)]
    assert {r.user for r in NotificationRule.objects.all()} == {alice}
    assert NotificationRule.history.first().history_user == staff


def test_a_phone_number_changed_in_the_admin_must_be_verified_again(staff, alice):
    method = method_of(alice, "sms")
    client = Client()
    client.force_login(staff)
    form = {
        "user": alice.pk,
        "kind": "sms",
        "label": "",
        "address": "+14155550199",
        "secret": "",
        "enabled": "on",
        "min_interval_seconds": 0,
        "notification_rules-TOTAL_FORMS": 0,
        "notification_rules-INITIAL_FORMS": 0,
        "notification_rules-MIN_NUM_FORMS": 0,
        "notification_rules-MAX_NUM_FORMS": 1000,
    }
    response = client.post(f"/admin/oncall/contactmethod/{method.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    method.refresh_from_db()
    assert method.address == "+14155550199" and not method.pageable
    form["address"] = "0415 555 0100"
    refused = client.post(f"/admin/oncall/contactmethod/{method.pk}/change/", form)
    assert refused.status_code == 200 and "E.164" in refused.content.decode()
