"""PagerDuty Events API v2: one trigger per incident, its dedup key stable per incident
(the incident id, as before), so PagerDuty folds repeats of the same incident together."""

from oncall.contacts.channels import Message, Rendered
from oncall.contacts.models import ContactMethod


def render(contact_method: ContactMethod, message: Message) -> Rendered:
    events = [
        {
            "event_action": "trigger",
            "dedup_key": str(item.incident_id),
            "summary": ("[DRILL] " if item.drill else "")
            + f"{item.reference} [{item.severity}] {item.title}",
            "severity": "critical" if item.severity_level in (1, 2) else "warning",
            "custom_details": {"url": item.url, "acknowledge_url": item.ack_url},
            "links": [{"href": item.url, "text": item.reference}],
        }
        for item in message.items
    ]
    return Rendered("pagerduty", contact_method.address.strip(), {"events": events})
