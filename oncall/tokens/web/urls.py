"""URLs of the API tokens pages (in the ``web`` namespace)."""

from django.urls import path

from oncall.tokens.web import views

urlpatterns = [
    path("profile/tokens/", views.profile_tokens, name="profile-tokens"),
    path(
        "profile/tokens/legacy/revoke/",
        views.legacy_token_revoke_view,
        name="profile-legacy-token-revoke",
    ),
    path("tokens/<int:token_id>/rotate/", views.token_rotate_view, name="token-rotate"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke_view, name="token-revoke"),
    path("teams/<int:team_id>/tokens/", views.team_tokens, name="team-tokens"),
]
