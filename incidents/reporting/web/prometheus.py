"""``GET /metrics``: Prometheus scrape, protected by ``Authorization: Bearer $METRICS_TOKEN``."""

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from incidents.reporting.prometheus import prometheus_text


@require_GET
def prometheus_metrics(request: HttpRequest) -> HttpResponse:
    token = getattr(settings, "METRICS_TOKEN", "")
    if not token:
        return HttpResponse("Metrics are disabled: set METRICS_TOKEN.\n", status=404)
    header = request.headers.get("Authorization", "")
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(presented.strip(), token):
        response = HttpResponse("A valid bearer token is required.\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(prometheus_text(), content_type="text/plain; version=0.0.4; charset=utf-8")
