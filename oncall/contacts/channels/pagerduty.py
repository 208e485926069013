"""PagerDuty Events API v2 through pdpyras: one trigger per incident with the incident's id as
dedup key, so PagerDuty itself folds repeats of the same incident together."""

import pdpyras
from django.conf import settings

from oncall.contacts.channels import DeliveryError, Message
from oncall.contacts.models import ContactMethod


def send(contact_method: ContactMethod, message: Message) -> None:
    session = pdpyras.EventsAPISession(contact_method.address)
    session.url = settings.PAGERDUTY_EVENTS_URL
    session.max_http_attempts = 1
    session.timeout = settings.PAGING_HTTP_TIMEOUT_SECONDS
    for item in message.items:
        try:
            session.trigger(
                f"{item.reference} [{item.severity}] {item.title}",
                "tocsin",
                dedup_key=str(item.incident_id),
                severity="critical" if item.severity.upper() in {"SEV1", "SEV2"} else "warning",
                custom_details={"url": item.url, "acknowledge_url": item.ack_url},
                links=[{"href": item.url, "text": item.reference}],
            )
        except pdpyras.PDClientError as exc:
            raise DeliveryError(f"PagerDuty: {exc}") from exc
