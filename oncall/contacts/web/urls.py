"""URLs of the person's own profile."""

from django.urls import path

from oncall.contacts.web import views

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/time-zone/", views.profile_time_zone, name="profile-time-zone"),
    path(
        "profile/contact-methods/<int:method_id>/test/",
        views.profile_contact_test,
        name="profile-contact-test",
    ),
]
