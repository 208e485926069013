from django.apps import AppConfig


class PostmortemsConfig(AppConfig):
    name = "postmortems"

    def ready(self) -> None:
        from incidents.signals import incident_status_changed, incident_updated
        from postmortems.receivers import on_incident_status_changed, on_incident_updated

        incident_status_changed.connect(
            on_incident_status_changed, dispatch_uid="postmortems.on_incident_status_changed"
        )
        incident_updated.connect(
            on_incident_updated, dispatch_uid="postmortems.on_incident_updated"
        )

        from incidents.metrics import register_provider
        from postmortems import providers

        register_provider("postmortem_completion_rate", providers.postmortem_completion_rate)
        register_provider("action_item_completion_rate", providers.action_item_completion_rate)

        from postmortems.web import sections as web_sections

        web_sections.register()
