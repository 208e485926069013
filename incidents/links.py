"""Absolute links to the web app's pages, for messages read outside it (email, Slack,
SMS, PagerDuty). People follow them, so they point at pages, never at the API."""

from django.conf import settings
from django.urls import reverse


def page_url(name: str, *args: object) -> str:
    """``SITE_URL`` + the path of the web page ``web:<name>``."""
    return settings.SITE_URL + reverse(f"web:{name}", args=args)


def incident_url(incident_id: int) -> str:
    return page_url("incident-detail", incident_id)
