"""One world for the authorization matrix: team A (Payments) with a member, a manager and
one row of every kind a route can name; team B (Mobile) with its own member, the outsider,
and its own integration (for the keyed endpoints); a staff user of no team.

Rows are made through the services where a factory or a service exists, directly where a
route only needs the row to exist (an alert, a change event)."""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from tests.oncall.factories import TeamFactory, UserFactory, make_policy, make_schedule, member_of


@dataclass
class World:
    team: Any
    other_team: Any
    member: Any
    manager: Any
    outsider: Any
    staff: Any
    rows: dict[str, Any] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)

    def actors(self) -> dict[str, Any]:
        return {
            "anonymous": None,
            "outsider": self.outsider,
            "member": self.member,
            "manager": self.manager,
            "staff": self.staff,
        }


def build_world() -> World:
    from incidents.alerts.models import Alert, ChangeEvent
    from incidents.alerts.services.heartbeats import heartbeat_monitor_create
    from incidents.alerts.services.integrations import integration_create
    from incidents.communication.models import IncidentChannel
    from incidents.mirroring.services import pagerduty_mirror_create
    from incidents.models import Severity
    from incidents.paging.services.delivery import ack_token
    from oncall.contacts.models import NotificationRule, OnCallPreference
    from oncall.contacts.services import contact_method_create
    from oncall.schedules.models import ScheduleOverride
    from oncall.teams.models import TeamMembership
    from oncall.teams.selectors import invitation_token
    from oncall.teams.services import team_invitation_create
    from oncall.tokens.services import token_create
    from postmortems.models import Postmortem
    from readiness.drills.models import DrillFinding
    from readiness.drills.services import drill_schedule
    from runbooks.models import RunbookAttachment
    from tests.incidents.factories import IncidentFactory, ServiceFactory
    from tests.postmortems.factories import ActionItemFactory, ready_to_publish, resolved_incident
    from tests.runbooks.factories import RunbookFactory

    now = timezone.now()
    team = TeamFactory(name="Payments", key="PAY", slug="payments")
    other_team = TeamFactory(name="Mobile", key="MOB", slug="mobile")
    member = member_of(team, "marco")
    manager = member_of(team, "priya", role="manager")
    outsider = member_of(other_team, "olivia", role="manager")
    staff = UserFactory(username="admin", is_staff=True, is_superuser=True)
    world = World(team, other_team, member, manager, outsider, staff)
    rows = world.rows

    rows["service"] = ServiceFactory(team=team, name="Checkout API", slug="checkout-api")
    rows["schedule"] = make_schedule(
        team,
        [
            dict(
                users=[member, manager],
                rotation="weekly",
                handoff_time=datetime.time(9, 0),
                start=now - datetime.timedelta(days=7),
            )
        ],
    )
    rows["override"] = ScheduleOverride.objects.create(
        schedule=rows["schedule"],
        user=member,
        start=now + datetime.timedelta(days=1),
        end=now + datetime.timedelta(days=2),
    )
    rows["policy"] = make_policy(team, [(5, [rows["schedule"]])])
    rows["incident"] = IncidentFactory(team=team, actor=member, services=[rows["service"]])
    rows["channel"] = IncidentChannel.objects.create(
        incident=rows["incident"], name="inc-pay-1", channel_id="C0001", created_at=now
    )
    rows["timeline_event"] = rows["incident"].timeline.first()
    resolved = resolved_incident(team=team, actor=member, severity="SEV1")
    rows["postmortem"] = ready_to_publish(Postmortem.objects.get(incident=resolved), member)
    rows["why"] = rows["postmortem"].whys.first()
    rows["action_item"] = ActionItemFactory(
        actor=member, postmortem=rows["postmortem"], owner=member
    )
    rows["runbook"] = RunbookFactory(team=team, actor=manager)
    rows["attachment"] = RunbookAttachment.objects.create(
        incident=rows["incident"], runbook=rows["runbook"], attached_at=now
    )

    integration, key = integration_create(
        actor=manager, team=team, name="Payments alerts 7731", kind="events_v2"
    )
    rows["integration"], world.keys["team"] = integration, key
    other_integration, other_key = integration_create(
        actor=outsider, team=other_team, name="Mobile alerts", kind="events_v2"
    )
    rows["other_integration"], world.keys["other_team"] = other_integration, other_key
    rows["alert"] = Alert.objects.create(
        integration=integration,
        incident=rows["incident"],
        dedup_key="disk-full",
        summary="Disk full",
        first_seen=now,
        last_seen=now,
        payload={},
    )
    rows["change_event"] = ChangeEvent.objects.create(
        integration=integration, summary="Deploy 42", timestamp=now, received_at=now
    )
    rows["heartbeat"] = heartbeat_monitor_create(
        actor=manager,
        team=team,
        name="nightly-backup",
        interval_seconds=3600,
        integration=integration,
    )
    rows["mirror"] = pagerduty_mirror_create(actor=manager, team=team, routing_key="R" * 32)
    rows["contact_method"] = contact_method_create(
        actor=member, kind="email", address="marco@example.com"
    )
    rows["notification_rule"] = NotificationRule.objects.create(
        user=member, contact_method=rows["contact_method"]
    )
    rows["invitation"] = team_invitation_create(
        actor=manager, team=team, email="newcomer@example.com"
    )
    world.keys["invitation"] = invitation_token(rows["invitation"])
    world.keys["ack"] = ack_token(incident_id=rows["incident"].pk, user_id=member.pk)
    world.keys["schedule_feed"] = rows["schedule"].ical_token
    preference, _ = OnCallPreference.objects.get_or_create(user=member)
    world.keys["user_feed"] = preference.ical_token
    token, _raw = token_create(
        actor=manager, name="CI", scope="read", expires_in_days=30, team=team
    )
    rows["token"] = token
    rows["drill"] = drill_schedule(
        actor=manager,
        team=team,
        title="Game day",
        severity=Severity.objects.get(name="SEV2"),
        scheduled_at=now + datetime.timedelta(days=3),
        announced=False,
    )
    rows["finding"] = DrillFinding.objects.create(
        drill=rows["drill"], measure="acknowledge", title="Slow ack", created_at=now
    )
    rows["membership"] = TeamMembership.objects.get(team=team, user=member)
    return world
