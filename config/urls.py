from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from incidents.api.ingest import enqueue, healthz

api_v1 = [
    path("", include("oncall.api.urls")),
    path("", include("incidents.api.urls")),
]

urlpatterns = [
    path("", login_required(TemplateView.as_view(template_name="home.html")), name="home"),
    path("admin/", admin.site.urls),
    # PagerDuty Events API v2, wire-compatible, at the same path as PagerDuty's.
    path("v2/enqueue", enqueue, name="events-v2-enqueue"),
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
