"""SMS: a short text to the contact method's phone number, sent through Twilio. One
incident: its subject and acknowledge link; a bundle: the subject, the first incident
and its acknowledge link, and how many more there are."""

from oncall.contacts.channels import Message, Rendered
from oncall.contacts.models import ContactMethod

# A page's text stays within two SMS segments where it can (long titles are cut); the
# transport applies Twilio's own limit of 1,600 characters.
TITLE_MAX_CHARS = 120


def _short(text: str, limit: int = TITLE_MAX_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def text(message: Message) -> str:
    first = message.items[0]
    lines = [_short(message.subject)]
    if len(message.items) > 1:
        lines.append(_short(f"{first.reference}: {first.title}"))
    if first.ack_url:
        lines.append(f"Ack: {first.ack_url}")
    if len(message.items) > 1:
        lines.append(f"+{len(message.items) - 1} more")
    return "\n".join(lines)


def render(contact_method: ContactMethod, message: Message) -> Rendered:
    return Rendered("sms", contact_method.address.strip(), {"text": text(message)})


def verification_content(code: str) -> dict[str, str]:
    return {
        "text": f"Your Tocsin verification code is {code}. It expires in 10 minutes. "
        "If you did not ask for it, ignore this message."
    }
