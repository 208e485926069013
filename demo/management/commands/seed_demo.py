"""Load realistic demo data: three teams with people, services and on-call, incidents of
every severity and status over the last 90 days, runbooks, status-page updates,
postmortems with action items, a drill done three weeks ago with its report and one coming
up, and an integration to send alerts to (its address, key
and a curl command are printed, with who is on call now). Safe to run again: what
exists is kept, and incidents are only generated for a team that has none."""

from django.core.management.base import BaseCommand

from demo.communication import communication_demo_seed
from demo.drills import drills_demo_seed
from demo.incidents import incidents_demo_seed
from demo.integrations import integrations_demo_seed, oncall_now_lines
from demo.oncall import oncall_demo_seed
from demo.postmortems import postmortems_demo_seed
from demo.runbooks import runbooks_demo_seed
from demo.teams import DEMO_PASSWORD, teams_demo_seed


class Command(BaseCommand):
    help = "Load idempotent demo data (teams, people, services, 90 days of incidents)."

    def handle(self, *args, **options) -> None:
        teams = teams_demo_seed()
        # On-call before the incidents, so the open ones page somebody (the worker's
        # sweep escalates them).
        for demo in teams:
            oncall = oncall_demo_seed(team=demo.team)
            if oncall is not None:
                schedule, policy = oncall
                self.stdout.write(
                    f"{demo.team.name}: schedule {schedule.name!r}, policy {policy.name!r}"
                )
        added = incidents_demo_seed(teams)
        installed = runbooks_demo_seed()
        communication_demo_seed()
        self.stdout.write(
            self.style.SUCCESS(
                f"Runbooks and communication demo ready ({installed} runbooks added). "
                "Public status page: /status/"
            )
        )
        postmortems = postmortems_demo_seed()
        self.stdout.write(
            self.style.SUCCESS(
                f"Postmortems demo ready ({postmortems['published']} published, "
                f"{postmortems['kept_open']} still open)."
            )
        )
        drills = drills_demo_seed(teams)
        self.stdout.write(self.style.SUCCESS(f"Drills demo ready ({drills} drills added)."))
        demo_integration = integrations_demo_seed(teams)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready ({added} incidents added). Sign in at /admin/ as admin, or as "
                f"priya, sam, olivia (managers) or marco, lena, diego (members); "
                f"password: {DEMO_PASSWORD}"
            )
        )
        self.stdout.write("On call now:")
        for line in oncall_now_lines(teams):
            self.stdout.write(f"  {line}")
        if demo_integration is not None:
            integration = demo_integration.integration
            self.stdout.write(
                f"Send an alert to the {integration.team.name} team's integration "
                f"{integration.name!r} (Events API v2, PagerDuty-compatible):"
            )
            self.stdout.write(f"  URL: {demo_integration.url}")
            self.stdout.write(f"  Key: {demo_integration.routing_key}")
            self.stdout.write(f"  {demo_integration.curl}")
            self.stdout.write("  Then see it under Integrations, or on the incident list.")
