from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"

    def ready(self) -> None:
        # Communication (issue 6): signal receivers, the admin pages and the tasks, whose
        # module autodiscovery (which only imports incidents.tasks) would not find.
        from incidents import (  # noqa: F401
            admin_communication,
            metrics_oncall,
            receivers,
            receivers_communication,
            tasks_communication,
        )

        # The paging engine's figures (pages per engineer, engine lag) for the metrics.
        metrics_oncall.register()

        # ... and its sections on the pages (on call now, my pending pages, pages sent).
        from incidents.web import sections_oncall

        sections_oncall.register()
