from django.apps import AppConfig


class RunbooksConfig(AppConfig):
    name = "runbooks"

    def ready(self) -> None:
        from runbooks.web import sections

        sections.register()
