"""The web app's pages, all under the ``web`` namespace (``{% url 'web:incident-detail' … %}``).

The API lives under ``api`` and the machine endpoints under ``ingest``, so a page and an
API route can share a short name (``incident-detail``) and never shadow each other.
"""

from django.urls import path

from incidents.alerts.web import urls as integrations_urls
from incidents.communication.web import urls as status_urls
from incidents.imports.web import urls as imports_urls
from incidents.paging.web.views import acknowledge_link
from incidents.reporting.web import urls as reporting_urls
from incidents.web import urls as incidents_urls
from oncall.audit.web import urls as audit_urls
from oncall.contacts.web import urls as people_urls
from oncall.teams.web import urls as teams_urls
from oncall.tokens.web import urls as tokens_urls
from oncall.web import urls as oncall_urls
from postmortems.web import urls as postmortems_urls
from readiness.drills.web import urls as drills_urls
from readiness.report.web import urls as readiness_urls
from runbooks.web import urls as runbooks_urls

app_name = "web"

urlpatterns = [
    *incidents_urls.urlpatterns,
    *reporting_urls.urlpatterns,
    *postmortems_urls.urlpatterns,
    *oncall_urls.urlpatterns,
    *runbooks_urls.urlpatterns,
    *status_urls.urlpatterns,
    *integrations_urls.urlpatterns,
    *imports_urls.urlpatterns,
    *people_urls.urlpatterns,
    *teams_urls.urlpatterns,
    *tokens_urls.urlpatterns,
    *audit_urls.urlpatterns,
    *drills_urls.urlpatterns,
    *readiness_urls.urlpatterns,
    path("ack/<str:token>/", acknowledge_link, name="incident-ack-link"),
]
