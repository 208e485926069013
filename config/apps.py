"""Wiring: what joins the apps together at start-up, in one place.

Each app's rooms (``incidents.alerts``, ``incidents.paging`` …) keep their models, admin
pages and tasks in their own modules; Django and Celery only look for ``<app>.models``,
``<app>.admin`` and ``<app>.tasks``, so this app imports the rooms' own. Then it connects
what an incident's changes cause (``config.consequences``) and what the paging room adds
to the metrics and to the pages of the incidents core.
"""

from importlib import import_module

from django.apps import AppConfig

# Room models belong to the incidents app (same label, same tables); importing them while
# Django imports models keeps the incidents core free of its rooms.
ROOM_MODELS = (
    "incidents.alerts.models",
    "incidents.communication.models",
    "incidents.imports.models",
    "incidents.mirroring.models",
    "incidents.paging.models",
    "oncall.audit.models",
    "oncall.tokens.models",
)
# The rooms' admin pages and Celery tasks (Django and Celery look only at <app>.admin and
# <app>.tasks).
ROOM_MODULES = (
    "incidents.alerts.admin",
    "incidents.alerts.tasks",
    "incidents.communication.admin",
    "incidents.communication.tasks",
    "incidents.mirroring.admin",
    "incidents.mirroring.tasks",
    "incidents.paging.admin",
    "incidents.paging.tasks",
    "oncall.audit.admin",
    "oncall.audit.receivers",
    "oncall.audit.tasks",
    "oncall.contacts.admin",
    "oncall.policies.admin",
    "oncall.schedules.admin",
    "oncall.schedules.tasks",
    "oncall.teams.admin",
    "oncall.tokens.admin",
    "oncall.tokens.schema",
    "oncall.tokens.web.sections",
    "outbox.admin",
    "outbox.tasks",
)


class WiringConfig(AppConfig):
    name = "config"
    label = "tocsin"
    verbose_name = "Tocsin"

    def import_models(self) -> None:
        super().import_models()
        for name in ROOM_MODELS:
            import_module(name)

    def ready(self) -> None:
        for name in ROOM_MODULES:
            import_module(name)

        from config.consequences import consequences_connect
        from incidents.alerts.web import sections as alert_sections
        from incidents.communication.services import channels as communication_channels
        from incidents.communication.services import emails as communication_emails
        from incidents.communication.web import sections as communication_sections
        from incidents.mirroring import outbox as mirroring_outbox
        from incidents.paging.services import delivery as paging_delivery
        from incidents.paging.web import sections as paging_sections
        from incidents.reporting import paging as paging_figures
        from oncall.contacts import outbox as contact_outbox
        from oncall.teams import outbox as invitation_outbox
        from postmortems.services import sla as postmortem_sla

        consequences_connect()
        # The paging engine's figures (pages per engineer, engine lag) for the metrics,
        # and its sections of the pages (on call now, my pending pages, pages sent).
        paging_figures.register()
        paging_sections.register()
        # The incident page's "Share update" composer and its "Recent changes".
        communication_sections.register()
        alert_sections.register()
        # What the outbox asks of the rooms whose messages it sends: render or re-check
        # right before the send, hear the outcome (docs/outbox.md, "Purposes").
        paging_delivery.register()
        contact_outbox.register()
        invitation_outbox.register()
        mirroring_outbox.register()
        communication_emails.register()
        communication_channels.register()
        postmortem_sla.register()
