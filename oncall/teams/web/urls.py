"""URLs of the teams' pages and of the invitation link."""

from django.urls import path

from oncall.teams.web import views

urlpatterns = [
    path("teams/", views.team_list, name="team-list"),
    path("teams/<int:team_id>/", views.team_detail, name="team-detail"),
    path(
        "teams/<int:team_id>/response-process.svg",
        views.team_file,
        {"name": "response-process.svg"},
        name="team-response-process",
    ),
    path(
        "teams/<int:team_id>/invitations/<int:invitation_id>/withdraw/",
        views.team_invitation_withdraw,
        name="team-invitation-revoke",
    ),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation-accept"),
]
