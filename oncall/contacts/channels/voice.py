"""Voice call: a script read out by Twilio to the contact method's phone number. The
subject is rewritten for speech (``[SEV1] PAY-42`` is read "Severity 1. P A Y 42"), said
twice, then the person is told how to acknowledge: a call takes no key presses."""

import re

from oncall.contacts.channels import Message, Rendered
from oncall.contacts.models import ContactMethod

ACKNOWLEDGE = "Press nothing; acknowledge in the app or by the link sent."
TITLE_MAX_CHARS = 200

_URL = re.compile(r"https?://\S+")
_SEVERITY = re.compile(r"\bSEV[ -]?(\d)\b", re.IGNORECASE)
_PRIORITY = re.compile(r"\bP(\d)\b")
_BRACKETED = re.compile(r"\[([^\]]*)\]")
# An incident reference: a team key and a number (PAY-42).
_REFERENCE = re.compile(r"\b([A-Z][A-Z0-9]{0,9})-(\d+)\b")


def _spell(key: str) -> str:
    return " ".join(key)


def spoken(text: str) -> str:
    """``text`` as a speech engine should read it: no links, severities and priorities
    in words, incident references spelled out, brackets and symbols dropped."""
    text = _URL.sub("", text)
    text = _SEVERITY.sub(r"Severity \1", text)
    text = _PRIORITY.sub(r"Priority \1", text)
    text = _BRACKETED.sub(lambda m: m.group(1).strip().capitalize() + ".", text)
    text = _REFERENCE.sub(lambda m: f"{_spell(m.group(1))} {m.group(2)}", text)
    text = text.replace("&", " and ").replace("_", " ").replace("#", " number ")
    text = re.sub(r"[<>{}|\\^~*`]", " ", text)
    text = " ".join(text.split())
    if len(text) > TITLE_MAX_CHARS:
        text = text[:TITLE_MAX_CHARS].rsplit(" ", 1)[0]
    return text


def script(message: Message) -> str:
    first = message.items[0]
    what = spoken(message.subject).rstrip(".")
    if len(message.items) > 1:
        what += f". The first: {spoken(f'{first.reference}: {first.title}').rstrip('.')}"
    return f"This is Tocsin. {what}. I repeat: {what}. {ACKNOWLEDGE}"


def render(contact_method: ContactMethod, message: Message) -> Rendered:
    return Rendered("voice", contact_method.address.strip(), {"say": script(message)})


def verification_content(code: str) -> dict[str, str]:
    digits = ", ".join(code)
    return {
        "say": f"This is Tocsin. Your verification code is {digits}. "
        f"Again: {digits}. The code expires in 10 minutes."
    }
