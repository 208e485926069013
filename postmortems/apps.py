from django.apps import AppConfig


class PostmortemsConfig(AppConfig):
    name = "postmortems"

    def ready(self) -> None:
        from incidents.reporting.providers import register_provider
        from postmortems import providers

        register_provider("postmortem_completion_rate", providers.postmortem_completion_rate)
        register_provider("action_item_completion_rate", providers.action_item_completion_rate)

        from postmortems.web import sections as web_sections

        web_sections.register()

        from postmortems import flowchart

        flowchart.register()
