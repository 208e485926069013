"""Email: the message to the contact method's address through Django's mail backend."""

from django.conf import settings
from django.core.mail import send_mail

from oncall.contacts.channels import DeliveryError, Message
from oncall.contacts.models import ContactMethod


def send(contact_method: ContactMethod, message: Message) -> None:
    if not contact_method.address:
        raise DeliveryError("No email address.")
    sent = send_mail(
        subject=message.subject,
        message=message.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[contact_method.address],
        fail_silently=False,
    )
    if not sent:
        raise DeliveryError("The mail backend accepted no message.")
