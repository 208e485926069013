"""The on-call app: teams, schedules, escalation policies and contact methods, one room
each (``oncall.teams``, ``.schedules``, ``.policies``, ``.contacts``) under one app label.
At start-up it connects SSO logins to the IdP group rules (``oncall.teams.sso``)."""

from django.apps import AppConfig


class OncallConfig(AppConfig):
    name = "oncall"
    verbose_name = "On-call"

    def ready(self) -> None:
        from allauth.account.signals import user_logged_in

        from oncall.teams.sso import on_user_logged_in

        user_logged_in.connect(on_user_logged_in, dispatch_uid="oncall.teams.sso.on_user_logged_in")
