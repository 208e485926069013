"""The incidents app."""

from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    """The incidents core and its rooms (alerts, paging, communication, mirroring,
    reporting); the rooms' models, admin and tasks are loaded by ``config.apps``."""

    name = "incidents"
