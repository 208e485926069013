from importlib import import_module

from django.apps import AppConfig

# The rooms' models, admin pages and tasks (Django and Celery look only at <app>.models,
# <app>.admin and <app>.tasks).
ROOM_MODELS: tuple[str, ...] = ("readiness.drills.models",)
ROOM_MODULES: tuple[str, ...] = (
    "readiness.drills.admin",
    "readiness.drills.tasks",
    "readiness.report.tasks",
)


class ReadinessConfig(AppConfig):
    name = "readiness"

    def import_models(self) -> None:
        super().import_models()
        for name in ROOM_MODELS:
            import_module(name)

    def ready(self) -> None:
        for name in ROOM_MODULES:
            import_module(name)
        # What the outbox asks of this app (docs/outbox.md, "Purposes"): the weekly
        # readiness e-mail, and the drills' announcements and chaos-tool webhooks.
        import_module("readiness.report.services").register()
        import_module("readiness.drills.outbox").register()
