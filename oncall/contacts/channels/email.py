"""Email: the message's subject and text to the contact method's address."""

from oncall.contacts.channels import Message, Rendered
from oncall.contacts.models import ContactMethod


def render(contact_method: ContactMethod, message: Message) -> Rendered:
    return Rendered(
        "email", contact_method.address, {"subject": message.subject, "text": message.text}
    )
