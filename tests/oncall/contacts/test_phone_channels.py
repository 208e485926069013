"""What a page looks like as an SMS and as a voice call (the channels are pure: they
turn a contact method and a message into what the outbox sends)."""

from oncall.contacts.channels import Message, MessageItem, render
from oncall.contacts.models import ContactMethod


def item(number, title, severity="SEV1", level=1, drill=False):
    return MessageItem(
        incident_id=number,
        reference=f"PAY-{number}",
        title=title,
        severity=severity,
        status="triggered",
        url=f"https://tocsin.example.com/incidents/{number}/",
        ack_url=f"https://tocsin.example.com/ack/{number}/token/",
        level=1,
        severity_level=level,
        drill=drill,
    )


def method(kind):
    return ContactMethod(kind=kind, address="+14155550100")


def test_an_sms_page_is_the_subject_and_the_acknowledge_link():
    rendered = render(method("sms"), Message("alice", (item(42, "Checkout is down"),)))
    assert (rendered.transport, rendered.address) == ("sms", "+14155550100")
    assert rendered.content["text"] == (
        "[SEV1] PAY-42: Checkout is down\nAck: https://tocsin.example.com/ack/42/token/"
    )


def test_a_bundled_sms_names_the_first_incident_and_how_many_more():
    message = Message(
        "alice",
        (item(42, "Checkout is down"), item(43, "Refunds slow", "SEV3", 3), item(44, "Ledger")),
    )
    text = render(method("sms"), message).content["text"]
    assert text.splitlines() == [
        "[SEV1] 3 incidents need you",
        "PAY-42: Checkout is down",
        "Ack: https://tocsin.example.com/ack/42/token/",
        "+2 more",
    ]


def test_a_long_title_keeps_the_sms_short():
    text = render(method("sms"), Message("alice", (item(1, "word " * 100),))).content["text"]
    assert len(text) < 200 and text.splitlines()[-1].startswith("Ack: https://")


def test_a_call_speaks_the_subject_twice_and_says_how_to_acknowledge():
    rendered = render(method("voice"), Message("alice", (item(42, "Checkout is down"),)))
    assert rendered.transport == "voice"
    assert rendered.content["say"] == (
        "This is Tocsin. Severity 1. P A Y 42: Checkout is down. "
        "I repeat: Severity 1. P A Y 42: Checkout is down. "
        "Press nothing; acknowledge in the app or by the link sent."
    )
    assert "http" not in rendered.content["say"]


def test_a_bundled_call_says_how_many_and_the_first():
    message = Message("alice", (item(42, "Checkout & refunds <down>", drill=True), item(43, "x")))
    say = render(method("voice"), message).content["say"]
    assert say.startswith(
        "This is Tocsin. Drill. Severity 1. 2 incidents need you. "
        "The first: P A Y 42: Checkout and refunds down."
    )
    assert "<" not in say and "&" not in say
