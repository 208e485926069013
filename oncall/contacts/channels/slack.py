"""Slack: a DM (address = a Slack user id) or an incoming webhook (address = its URL)."""

from oncall.contacts.channels import Message, Rendered
from oncall.contacts.models import ContactMethod


def render(contact_method: ContactMethod, message: Message) -> Rendered:
    return Rendered("slack", contact_method.address.strip(), {"text": message.text})
