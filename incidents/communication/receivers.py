"""What an incident's changes cause to its communication (the Slack incident channel, and
the status page of a team that publishes as it declares). Thin: each calls services.

Connected, in their order, by ``config.consequences``."""

from incidents.communication import services as comm


def on_incident_declared(sender, incident, actor, **kwargs) -> None:
    comm.incident_channel_request(incident=incident)
    # A team with auto_publish: the neutral first public update (mirrored to the channel).
    comm.status_update_auto_publish(incident=incident)


def on_incident_status_changed(sender, incident, actor, old_status, new_status, **kwargs) -> None:
    who = f" by {actor.get_username()}" if actor is not None and actor.is_authenticated else ""
    comm.incident_channel_mirror(incident=incident, text=f"status {old_status} → {new_status}{who}")


ROLES = ("commander", "scribe", "communications_lead")


def on_incident_updated(sender, incident, actor, changes, **kwargs) -> None:
    # Newly assigned people join the channel.
    people = [getattr(incident, role) for role in ROLES if role in changes]
    comm.incident_channel_invite_later(incident=incident, users=[p for p in people if p])
    if "severity" in changes:
        # Raised to a severity that has channels: open one now (once).
        comm.incident_channel_request(incident=incident)
        old, new = changes["severity"]
        comm.incident_channel_mirror(incident=incident, text=f"severity {old} → {new}")


def on_responders_paged(sender, incident, users, **kwargs) -> None:
    # The people paged join the incident's channel. At declaration the channel is not
    # reserved yet; opening it invites whoever was paged by then.
    comm.incident_channel_invite_later(incident=incident, users=users)
