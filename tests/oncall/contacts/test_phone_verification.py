"""SMS and voice contact methods: E.164 numbers, and a code sent through the outbox to
the number (a local Twilio stand-in receives it) that the person types back before the
number pages."""

import re
from datetime import timedelta

import pytest

from oncall.contacts import outbox as contacts_outbox
from oncall.contacts.models import ContactMethod
from oncall.contacts.selectors import notification_plan
from outbox.models import Message, MessageStatus
from outbox.services import outbox_send_due
from tests.harness.receivers import TWILIO_INVALID_NUMBER

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock", "contact_purposes")]

URL = "/api/v1/users/me/contact-methods/"
PHONE = "+14155550100"


@pytest.fixture
def contact_purposes():
    contacts_outbox.register()


def create(client, kind="sms", address=PHONE):
    response = client.post(URL, {"kind": kind, "address": address}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def send_code(client, method):
    return client.post(f"{URL}{method['id']}/verify/send/", format="json")


def verify(client, method, code):
    return client.post(f"{URL}{method['id']}/verify/", {"code": code}, format="json")


def texted_code(twilio) -> str:
    return re.search(r"\b(\d{6})\b", twilio.messages[-1]["Body"])[1]


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


@pytest.mark.parametrize(
    "address",
    [
        "4155550100",  # no +
        "+1 415 555 0100",  # spaces
        "+1-415-555-0100",
        "+04155550100",  # no country code starts with 0
        "+1234567",  # 7 digits
        "+1234567890123456",  # 16 digits
        "tel:+14155550100",
        "+1415555010a",
    ],
)
@pytest.mark.parametrize("kind", ["sms", "voice"])
def test_a_phone_number_not_in_e164_is_a_400_that_says_how_to_write_it(api, alice, kind, address):
    response = api.as_user(alice).post(URL, {"kind": kind, "address": address}, format="json")
    assert response.status_code == 400
    [message] = response.json()["errors"]["address"]
    assert "E.164" in message and "+14155550100" in message
    assert not ContactMethod.objects.filter(user=alice).exists()


@pytest.mark.parametrize("address", ["+12345678", "+123456789012345", PHONE])
def test_e164_numbers_of_8_to_15_digits_are_accepted(api, alice, address):
    method = create(api.as_user(alice), address=address)
    assert method["address"] == address and method["min_interval_seconds"] == 0


def test_a_new_phone_number_is_not_pageable_until_verified(api, alice):
    client = api.as_user(alice)
    sms = create(client)
    email = create(client, kind="email", address="alice@example.com")
    assert (sms["verified"], sms["pageable"], sms["working"]) == (False, False, False)
    assert (email["verified"], email["pageable"], email["working"]) == (True, True, True)
    plan = notification_plan(user=alice, urgency="high")
    assert [method.pk for _, method in plan] == [email["id"]]


def test_the_code_is_texted_through_the_outbox_and_verifies_the_number(api, alice, twilio, clock):
    client = api.as_user(alice)
    method = create(client)

    response = send_code(client, method)
    assert response.status_code == 202, response.json()
    assert response.json()["tries"] == 5
    assert response.json()["expires_at"].startswith("2026-03-02T10:10:00")
    [queued] = Message.objects.filter(purpose="contact.verify")
    assert (queued.transport, queued.address, queued.recipient) == ("sms", PHONE, alice)
    assert twilio.requests == []  # nothing leaves before the outbox sends it

    outbox_send_due()

    [sms] = twilio.messages
    assert sms["To"] == PHONE and sms["From"] == twilio.from_number
    code = texted_code(twilio)
    assert "expires in 10 minutes" in sms["Body"]
    stored = ContactMethod.objects.get(pk=method["id"])
    assert stored.verification_code_hash and code not in stored.verification_code_hash
    queued.refresh_from_db()
    assert queued.status == MessageStatus.SENT and queued.provider_id.startswith("SM")
    assert "code" not in queued.payload  # the code does not stay in the outbox

    response = verify(client, method, code)
    assert response.status_code == 200, response.json()
    assert (response.json()["verified"], response.json()["pageable"]) == (True, True)
    stored.refresh_from_db()
    assert stored.verified_at is not None and stored.verification_code_hash == ""
    assert stored.history.first().history_user == alice
    plan = notification_plan(user=alice, urgency="high")
    assert [(delay, m.pk) for delay, m in plan] == [(0, method["id"])]


def test_a_voice_number_hears_its_code_spoken(api, alice, twilio):
    client = api.as_user(alice)
    method = create(client, kind="voice")
    assert send_code(client, method).status_code == 202
    outbox_send_due()

    [call] = twilio.calls
    assert call["To"] == PHONE
    spoken = re.search(r"code is ((?:\d, ){5}\d)", call["Twiml"])[1]
    code = spoken.replace(", ", "")
    assert call["Twiml"].startswith("<Response><Say>") and call["Twiml"].count(spoken) == 2
    assert verify(client, method, code).json()["verified"] is True


def test_five_wrong_codes_lock_the_code_until_a_new_one_is_sent(api, alice, twilio, clock):
    client = api.as_user(alice)
    method = create(client)
    send_code(client, method)
    outbox_send_due()
    code = texted_code(twilio)

    answers = [verify(client, method, wrong(code)) for _ in range(5)]
    assert [a.status_code for a in answers] == [400] * 5
    assert answers[0].json()["errors"]["code"] == ["Wrong code. 4 tries left."]
    assert answers[3].json()["errors"]["code"] == ["Wrong code. 1 try left."]
    assert "No tries left" in answers[4].json()["errors"]["code"][0]

    locked = verify(client, method, code)  # even the right code, now
    assert locked.status_code == 429 and "new one" in locked.json()["detail"]
    assert ContactMethod.objects.get(pk=method["id"]).verified_at is None

    clock.shift(timedelta(seconds=61))
    assert send_code(client, method).status_code == 202
    outbox_send_due()
    new_code = texted_code(twilio)
    if new_code != code:  # (equal one time in a million)
        assert verify(client, method, code).status_code == 400  # the old code is void…
    assert verify(client, method, new_code).json()["verified"] is True  # …the new one works


def test_the_old_code_is_void_once_a_new_one_is_sent(api, alice, twilio, clock):
    client = api.as_user(alice)
    method = create(client)
    send_code(client, method)
    outbox_send_due()
    first = texted_code(twilio)
    clock.shift(timedelta(seconds=61))
    send_code(client, method)
    outbox_send_due()
    second = texted_code(twilio)
    if first == second:  # one chance in a million
        pytest.skip("both codes happened to be equal")
    response = verify(client, method, first)
    assert response.status_code == 400
    assert verify(client, method, second).json()["verified"] is True


def test_an_expired_code_is_refused(api, alice, twilio, clock):
    client = api.as_user(alice)
    method = create(client)
    send_code(client, method)
    outbox_send_due()
    clock.shift(timedelta(minutes=10, seconds=1))

    response = verify(client, method, texted_code(twilio))
    assert response.status_code == 400
    assert "expired" in response.json()["errors"]["code"][0]
    assert ContactMethod.objects.get(pk=method["id"]).verified_at is None


def test_a_code_queued_past_its_expiry_is_not_sent(api, alice, twilio, clock):
    client = api.as_user(alice)
    method = create(client)
    send_code(client, method)
    clock.shift(timedelta(minutes=11))  # say the outbox could not send for 11 minutes
    outbox_send_due()
    assert twilio.requests == []
    assert Message.objects.get(purpose="contact.verify").status == MessageStatus.CANCELLED


def test_a_new_code_at_most_once_a_minute(api, alice, twilio, clock):
    client = api.as_user(alice)
    method = create(client)
    assert send_code(client, method).status_code == 202
    clock.shift(timedelta(seconds=30))

    again = send_code(client, method)
    assert again.status_code == 429 and again["Retry-After"] == "31"

    clock.shift(timedelta(seconds=31))
    assert send_code(client, method).status_code == 202
    outbox_send_due()
    # The first code was still queued: it is cancelled, only the new one is texted.
    assert len(twilio.messages) == 1
    statuses = list(
        Message.objects.filter(purpose="contact.verify")
        .order_by("pk")
        .values_list("status", flat=True)
    )
    assert statuses == [MessageStatus.CANCELLED, MessageStatus.SENT]


def test_a_new_number_must_be_verified_again(api, alice, twilio):
    client = api.as_user(alice)
    method = create(client)
    send_code(client, method)
    outbox_send_due()
    verify(client, method, texted_code(twilio))

    same = client.patch(f"{URL}{method['id']}/", {"label": "Mobile"}, format="json")
    assert same.json()["verified"] is True
    moved = client.patch(f"{URL}{method['id']}/", {"address": "+14155550199"}, format="json")
    assert moved.status_code == 200
    assert (moved.json()["verified"], moved.json()["pageable"]) == (False, False)
    bad = client.patch(f"{URL}{method['id']}/", {"address": "0415 555"}, format="json")
    assert bad.status_code == 400 and "E.164" in bad.json()["errors"]["address"][0]


def test_only_the_owner_can_ask_for_a_code_or_verify(api, alice, outsider, twilio):
    method = create(api.as_user(alice))
    other = api.as_user(outsider)
    assert send_code(other, method).status_code == 404
    assert verify(other, method, "123456").status_code == 404
    assert not Message.objects.exists()


def test_other_kinds_need_no_verification(api, alice):
    client = api.as_user(alice)
    method = create(client, kind="email", address="alice@example.com")
    response = send_code(client, method)
    assert response.status_code == 409
    assert verify(client, method, "123456").status_code == 409


def test_verify_without_a_code_sent_and_a_malformed_code(api, alice):
    client = api.as_user(alice)
    method = create(client)
    assert verify(client, method, "123456").status_code == 409
    malformed = verify(client, method, "12ab56")
    assert malformed.status_code == 400 and malformed.json()["errors"]["code"] == ["Six digits."]


def test_a_code_twilio_cannot_deliver_is_recorded_on_the_method(api, alice, twilio):
    client = api.as_user(alice)
    method = create(client, address=TWILIO_INVALID_NUMBER)
    send_code(client, method)
    outbox_send_due()

    message = Message.objects.get(purpose="contact.verify")
    assert message.status == MessageStatus.FAILED and "code" not in message.payload
    shown = client.get(f"{URL}{method['id']}/").json()
    assert "Verification code not delivered" in shown["last_error"]
    assert "21211" in shown["last_error"]
