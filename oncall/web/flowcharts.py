"""An escalation policy's flowchart: the SVG file to download, and (asked by htmx, with
``HX-Request``) the figure the policy editor shows. The team's members only; anyone else
gets a 404, as for the policy itself."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from common.errors import NotFound
from common.graphs import chart_context, svg_render, svg_response
from oncall.policies.flowchart import (
    policy_flowchart,
    policy_flowchart_title,
    policy_outline,
    policy_rows_load,
)
from oncall.policies.selectors import escalation_policy_get


@require_GET
def policy_flowchart_svg(request: HttpRequest, policy_id: int) -> HttpResponse:
    try:
        policy = escalation_policy_get(user=request.user, policy_id=policy_id)
    except NotFound as error:
        raise Http404(error.detail) from None
    policy_rows_load([policy])
    title = policy_flowchart_title(policy)
    if request.headers.get("HX-Request"):
        chart = chart_context(
            graph=policy_flowchart(policy),
            title=title,
            outline=policy_outline(policy),
            download_url=reverse("web:oncall-policy-flowchart", args=[policy.pk]),
        )
        return render(
            request, "flowcharts/_chart.html", {"chart": chart, "chart_id": "policy-flowchart"}
        )
    return svg_response(
        lambda: svg_render(policy_flowchart(policy), title=title),
        filename=f"escalation-policy-{policy.pk}.svg",
    )
