from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from incidents.web.prometheus import prometheus_metrics

api_v1 = [
    path("", include("oncall.api.urls")),
    path("", include("incidents.api.urls")),
    path("", include("incidents.api.urls_communication")),
    path("", include("runbooks.api.urls")),
    path("", include("postmortems.api.urls")),
]

urlpatterns = [
    path("", include("incidents.web.urls")),
    path("metrics", prometheus_metrics, name="prometheus-metrics"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", include(api_v1)),
    path("status/", include("incidents.urls_status")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
