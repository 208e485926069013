from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from incidents.ack_views import acknowledge_link
from oncall.feeds import schedule_feed, user_feed

api_v1 = [
    path("", include("oncall.api.urls")),
    path("", include("incidents.api.urls")),
]

urlpatterns = [
    path("", login_required(TemplateView.as_view(template_name="home.html")), name="home"),
    path("admin/", admin.site.urls),
    path("ack/<str:token>/", acknowledge_link, name="incident-ack-link"),
    path("ical/schedules/<str:token>.ics", schedule_feed, name="schedule-ical-feed"),
    path("ical/users/<str:token>.ics", user_feed, name="user-ical-feed"),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
