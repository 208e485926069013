"""Receivers of incidents.signals for communication: thin, they call one service."""

from django.dispatch import receiver

from incidents import services_communication as comm
from incidents.signals import incident_declared, incident_status_changed, incident_updated


@receiver(incident_declared, dispatch_uid="communication_incident_declared")
def on_incident_declared(sender, incident, actor, **kwargs) -> None:
    comm.incident_channel_request(incident=incident)


@receiver(incident_status_changed, dispatch_uid="communication_incident_status_changed")
def on_incident_status_changed(sender, incident, actor, old_status, new_status, **kwargs) -> None:
    who = f" by {actor.get_username()}" if actor is not None and actor.is_authenticated else ""
    comm.incident_channel_mirror(incident=incident, text=f"status {old_status} → {new_status}{who}")


ROLES = ("commander", "scribe", "communications_lead")


@receiver(incident_updated, dispatch_uid="communication_incident_updated")
def on_incident_updated(sender, incident, actor, changes, **kwargs) -> None:
    # Newly assigned people join the channel.
    people = [getattr(incident, role) for role in ROLES if role in changes]
    comm.incident_channel_invite_later(incident=incident, users=[p for p in people if p])
    if "severity" in changes:
        # Raised to a severity that has channels: open one now (once).
        comm.incident_channel_request(incident=incident)
        old, new = changes["severity"]
        comm.incident_channel_mirror(incident=incident, text=f"severity {old} → {new}")
