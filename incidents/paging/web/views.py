"""The one-click acknowledge link carried by every page. It works without a session: the
signed, expiring token names the incident and the paged person, who becomes the actor.

GET shows the incident and one "Acknowledge" button; the POST acknowledges. (A GET that
changed state would be triggered by link previewers in Slack and mail scanners.)
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from common.errors import DomainError
from incidents import services
from incidents.models import Incident, IncidentStatus
from incidents.paging.services import ack_token_read


@login_not_required
@csrf_exempt  # the signed token is the credential; there is no session to ride
@require_http_methods(["GET", "POST"])
def acknowledge_link(request: HttpRequest, token: str) -> HttpResponse:
    try:
        incident_id, user_id, reopen_count = ack_token_read(token)
    except signing.SignatureExpired:
        return render(
            request, "incidents/ack.html", {"error": "This link has expired."}, status=410
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return render(
            request, "incidents/ack.html", {"error": "This link is not valid."}, status=404
        )
    incident = Incident.objects.select_related("team", "severity").filter(pk=incident_id).first()
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if incident is None or user is None:
        return render(
            request, "incidents/ack.html", {"error": "This link is not valid."}, status=404
        )
    if incident.reopen_count != reopen_count:
        stale = (
            f"This link was sent before {incident.reference} was reopened. Use the link in the "
            "newest page, or acknowledge on the incident's page."
        )
        return render(request, "incidents/ack.html", {"error": stale}, status=410)
    context = {"incident": incident, "paged_user": user}
    if request.method == "POST":
        if incident.status != IncidentStatus.TRIGGERED:
            context["done"] = f"Already {incident.status}."
        else:
            try:
                incident = services.incident_acknowledge(
                    incident=incident,
                    actor=user,
                    message="Acknowledged from a page link.",
                    reopen_count=reopen_count,  # checked again under the row lock
                )
            except DomainError as exc:
                context["error"] = exc.detail
                return render(request, "incidents/ack.html", context, status=exc.status_code)
            context["incident"] = incident
            context["done"] = "Acknowledged. Escalation has stopped."
    return render(request, "incidents/ack.html", context)
