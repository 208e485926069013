"""Slack: a DM through ``chat.postMessage`` (address = a Slack user id, bot token from
settings) or an incoming webhook (address = the webhook URL)."""

from django.conf import settings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from common.outbound import ForbiddenDestination, outbound_url_require_public
from oncall.contacts.channels import DeliveryError, Message
from oncall.contacts.models import ContactMethod


def send(contact_method: ContactMethod, message: Message) -> None:
    address = contact_method.address.strip()
    timeout = settings.PAGING_HTTP_TIMEOUT_SECONDS
    if address.startswith(("https://", "http://")):
        try:
            outbound_url_require_public(address)
        except ForbiddenDestination as exc:
            raise DeliveryError(f"Slack webhook refused: {exc}") from exc
        response = WebhookClient(address, timeout=timeout).send(text=message.text)
        if response.status_code != 200:
            raise DeliveryError(f"Slack webhook answered HTTP {response.status_code}.")
        return
    if not settings.SLACK_BOT_TOKEN:
        raise DeliveryError("SLACK_BOT_TOKEN is not configured.")
    client = WebClient(
        token=settings.SLACK_BOT_TOKEN, base_url=settings.SLACK_API_URL, timeout=timeout
    )
    try:
        client.chat_postMessage(channel=address, text=message.text)
    except SlackApiError as exc:
        raise DeliveryError(f"Slack: {exc.response.get('error', exc)}") from exc
